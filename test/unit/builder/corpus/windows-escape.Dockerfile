# escape=`

FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop';"]
ENV APP_DIR=C:\app
WORKDIR $APP_DIR
COPY app\ C:\app\
RUN New-Item -ItemType Directory -Path C:\data ; `
    Write-Host "created C:\data"
VOLUME ["C:\\data"]
ENTRYPOINT ["C:\\app\\run.exe"]
