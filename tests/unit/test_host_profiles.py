"""Host profiles: the commands and paths per kind of host, and path overrides."""

from __future__ import annotations

import pytest

from primetui.config import ServerSettings
from primetui.errors import ConfigError
from primetui.remote.profiles import profile_for


def server(profile: str, **kwargs) -> ServerSettings:
    return ServerSettings(host="h.example", profile=profile, **kwargs)


def test_ubuntu_uses_apt_systemd_and_system_paths() -> None:
    p = profile_for(server("ubuntu"))
    assert p.install_command("nginx", "certbot") == "apt-get install -y nginx certbot"
    assert (p.nginx_test, p.nginx_reload) == ("nginx -t", "systemctl reload nginx")
    assert (p.webroot, p.letsencrypt) == ("/var/www/certbot", "/etc/letsencrypt")
    assert (p.www_root, p.maintenance_root) == ("/var/www", "/var/www/maintenance")
    assert p.conf_d == "/etc/nginx/conf.d"
    assert p.home == "/home/ubuntu"
    assert p.sudo is True and p.nginx_prefix is None


def test_al2023_uses_dnf_and_the_ec2_user_home() -> None:
    p = profile_for(server("al2023", user="ec2-user"))
    assert p.install_command("nginx") == "dnf install -y nginx"
    assert p.nginx_start == "systemctl enable --now nginx"
    assert p.home == "/home/ec2-user"
    assert p.sudo is True


def test_sandbox_uses_a_private_nginx_and_user_writable_paths() -> None:
    p = profile_for(server("sandbox", user="root"))
    prefix = "/tmp/primetui-services/nginx"
    assert p.nginx_prefix == prefix
    assert p.nginx_test == f"nginx -p {prefix}/ -c conf/nginx.conf -e logs/error.log -t"
    assert p.nginx_reload == f"nginx -p {prefix}/ -c conf/nginx.conf -e logs/error.log -s reload"
    assert p.conf_d == f"{prefix}/conf/conf.d"
    assert p.letsencrypt == "/tmp/primetui-services/le/config"
    assert p.webroot == p.www_root == "/tmp/primetui-services/www"
    assert p.home == "/root"
    assert p.sudo is False


def test_sandbox_paths_follow_overrides() -> None:
    paths = {"nginx_prefix": "/srv/sb/nginx/", "letsencrypt": "/srv/sb/le",
             "webroot": "/srv/sb/acme", "www_root": "/srv/sb/www", "home": "/srv/sb/home"}
    p = profile_for(server("sandbox", paths=paths))
    assert p.nginx_prefix == "/srv/sb/nginx"
    assert p.nginx_reload.startswith("nginx -p /srv/sb/nginx/ ")
    assert p.conf_d == "/srv/sb/nginx/conf/conf.d"
    assert (p.letsencrypt, p.webroot, p.www_root, p.home) == (
        "/srv/sb/le", "/srv/sb/acme", "/srv/sb/www", "/srv/sb/home")


def test_sandbox_root_moves_every_default_path() -> None:
    p = profile_for(server("sandbox", paths={"root": "/work/sb"}))
    assert (p.nginx_prefix, p.conf_d, p.letsencrypt, p.webroot) == (
        "/work/sb/nginx", "/work/sb/nginx/conf/conf.d", "/work/sb/le/config", "/work/sb/www")


def test_paths_with_spaces_are_quoted_in_commands() -> None:
    p = profile_for(server("sandbox", paths={"nginx_prefix": "/tmp/my sandbox/nginx"}))
    assert p.nginx_test.startswith("nginx -p '/tmp/my sandbox/nginx/' ")


def test_overrides_apply_to_system_profiles_too() -> None:
    p = profile_for(server("ubuntu", paths={"conf_d": "/etc/nginx/sites-enabled",
                                            "webroot": "/srv/acme"}))
    assert (p.conf_d, p.webroot) == ("/etc/nginx/sites-enabled", "/srv/acme")
    assert p.nginx_reload == "systemctl reload nginx"


def test_server_without_sudo_turns_sudo_off() -> None:
    assert profile_for(server("ubuntu", sudo=False)).sudo is False


def test_unknown_path_key_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"Unknown host path 'wwwroot' for h\.example "
                                          r"\(expected one of: root, nginx_prefix"):
        profile_for(server("ubuntu", paths={"wwwroot": "/x"}))


def test_relative_path_is_refused() -> None:
    with pytest.raises(ConfigError, match="must be absolute"):
        profile_for(server("sandbox", paths={"webroot": "www"}))


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ConfigError, match="Unknown host profile 'debian'"):
        profile_for(server("debian"))
