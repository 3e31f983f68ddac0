#Syntax = example/frontend:1
#escape=\
# Directives above; this comment ends them.
# escape=`

ARG BASE
ARG TAG=latest
FROM ${BASE:-busybox}:${TAG} AS Base
from base as second
Env A=1 B="two words" C=three\ words
ENV LEGACY value with   spaces
ENV ONE TWO= THREE=world
arg D=${A}-${B}
Label "key with space"="v" k2=v2
RUN echo "a # not a comment" \
    # a comment inside a continuation

    && echo 'still the same RUN' \
   && true
RUN ["echo", "exec", "form"]
RUN ['echo', 'not exec']
CMD echo $A
ENTRYPOINT []
EXPOSE 80 443/tcp ${PORT:-8080}/udp
VOLUME /a /b
VOLUME ["/c", "/d"]
USER ${UID:-1000}:${GID:-1000}
WORKDIR rel
WORKDIR /abs path/with space
STOPSIGNAL 9
HEALTHCHECK NONE
MAINTAINER someone
ONBUILD ADD --chown=1:1 . /onbuild
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY --parents --exclude=*.tmp --link a/b c/ /dest/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/file.tgz /
COPY -- --not-a-flag /x
