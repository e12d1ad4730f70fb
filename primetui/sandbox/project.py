"""A believable sample project directory: the files the runbook backs up, and a git repo.

The values are fake and say so. `.env` is deliberately left group- and world-readable
(mode 0644) so the secret-hygiene check has something real to report in the demo.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from primetui.sandbox import tools

FAKE = "FAKE-sandbox-value-not-a-secret"

FILES: dict[str, str] = {
    ".env": f"""\
# primetui sandbox: every value here is FAKE and exists only for practice.
DJANGO_SECRET_KEY={FAKE}-django
DATABASE_URL=postgres://prime:{FAKE}@prime-db.sandbox.local:5432/prime
AWS_ACCESS_KEY_ID=AKIAFAKESANDBOX00000
AWS_SECRET_ACCESS_KEY={FAKE}-aws
MAILGUN_API_KEY={FAKE}-mail
""",
    ".env.production": f"""\
# primetui sandbox: FAKE production overrides.
DEBUG=false
ALLOWED_HOSTS=prime.example.test,www.prime.example.test
SENTRY_DSN=https://{FAKE}@sentry.example.test/1
""",
    "config/app.toml": """\
# Application settings (sandbox copy).
[app]
name = "prime"
debug = false
allowed_hosts = ["prime.example.test", "www.prime.example.test"]

[database]
host = "prime-db.sandbox.local"
port = 5432
name = "prime"
""",
    "config/nginx/site.conf": """\
server {
    listen 80;
    server_name prime.example.test www.prime.example.test;
    location /.well-known/acme-challenge/ { root /var/www/certbot; }
    location / { return 301 https://$host$request_uri; }
}
server {
    listen 443 ssl;
    server_name prime.example.test www.prime.example.test;
    ssl_certificate     /etc/letsencrypt/live/prime.example.test/fullchain.pem;
    ssl_certificate_key /etc/letsencrypt/live/prime.example.test/privkey.pem;
    location / { proxy_pass http://web:8000; }
}
""",
    ".gitignore": """\
.env
.env.*
__pycache__/
*.pyc
""",
    "README.md": """\
# prime

The lab's web application (primetui sandbox copy). Secrets live in `.env`, never in git.
""",
    "docker-compose.yml": """\
services:
  web:
    image: prime/web:latest
    env_file: .env
    ports: ["8000:8000"]
  nginx:
    image: nginx:stable
    ports: ["80:80", "443:443"]
    volumes:
      - ./config/nginx:/etc/nginx/conf.d:ro
      - /etc/letsencrypt:/etc/letsencrypt:ro
      - /var/www/certbot:/var/www/certbot:ro
""",
}

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "primetui sandbox", "GIT_AUTHOR_EMAIL": "sandbox@example.test",
    "GIT_COMMITTER_NAME": "primetui sandbox", "GIT_COMMITTER_EMAIL": "sandbox@example.test",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}


def make_sample_project(path: Path) -> Path:
    """Write the sample project into `path` (created if needed) and return it.

    When git is installed the directory becomes a repository with one commit that holds
    everything except `.env` and `.env.production`, which `.gitignore` keeps out.
    """
    path.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        file = path / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    # On purpose: the hygiene check should find a readable .env to warn about.
    (path / ".env").chmod(0o644)
    (path / ".env.production").chmod(0o600)
    git = tools.find_binary("git")
    if git:
        env = {**os.environ, **_GIT_ENV}
        for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                     ["commit", "-q", "-m", "Initial commit of the prime sample project"]):
            subprocess.run([git, *args], cwd=path, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path
