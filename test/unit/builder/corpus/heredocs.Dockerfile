# syntax=docker/dockerfile:1
FROM debian:bookworm
ARG DEBIAN_FRONTEND=noninteractive
RUN <<EOF
set -eux
apt-get update
apt-get install -y --no-install-recommends python3
rm -rf /var/lib/apt/lists/*
EOF
ENV GREETING=hello
COPY <<-"EOT" /usr/local/bin/greet
	#!/bin/sh
	echo "$GREETING from $(hostname)"
	EOT
COPY <<conf.ini <<motd /etc/app/
[server]
greeting = ${GREETING}
conf.ini
Welcome, ${USER:-stranger}!
motd
RUN <<script
#!/usr/bin/env python3
print("configured")
script
RUN python3 - <<'PY' && echo done
import sys
print(sys.version)
PY
RUN cat > /etc/app/notes.txt <<NOTES
  keep indentation
NOTES
ONBUILD RUN <<EOF
echo "triggered"
EOF
CMD ["greet"]
