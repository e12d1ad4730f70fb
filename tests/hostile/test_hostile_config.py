"""The config is code (it holds commands primetui runs, locally and over SSH): files that
someone else could have written are refused like ssh refuses them, and bad values that used
to reach "unexpected error" are one sentence naming the file, the key and the expectation,
caught by `config check` too. Real files in temporary directories, the installed CLI."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from primetui.config import load_settings, parse_settings
from primetui.errors import ConfigError
from tests.hostile.rest_helpers import assert_one_sentence, private_env, run_primetui

NOBODY = 65534
GOOD = '[ui]\ntheme = "prime-dark"\n'


def config_in(folder: Path, text: str = GOOD, mode: int = 0o600) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def check(path: Path, tmp_path: Path):
    return run_primetui("--config", str(path), "config", "check", env=private_env(tmp_path))


def test_a_world_writable_config_is_refused_with_the_chmod_that_fixes_it(tmp_path):
    path = config_in(tmp_path / "cfg", mode=0o666)
    out = check(path, tmp_path)
    assert out.returncode == 2
    assert_one_sentence(out.stderr)
    assert "anyone can write to it" in out.stderr
    assert f"'chmod go-w {path}'" in out.stderr
    path.chmod(0o644)  # the fix it names works
    assert check(path, tmp_path).returncode == 0


def test_a_config_in_a_world_writable_folder_without_the_sticky_bit_is_refused(tmp_path):
    folder = tmp_path / "shared"
    path = config_in(folder)
    folder.chmod(0o777)
    out = check(path, tmp_path)
    assert out.returncode == 2
    assert_one_sentence(out.stderr)
    assert f"its folder {folder} is world-writable" in out.stderr
    assert f"'chmod o-w {folder}'" in out.stderr
    folder.chmod(0o1777)  # like /tmp: only the owner may replace the file
    assert check(path, tmp_path).returncode == 0


@pytest.mark.skipif(os.getuid() != 0, reason="giving a file to another user needs root")
def test_a_config_owned_by_another_user_is_refused(tmp_path):
    path = config_in(tmp_path / "theirs")
    os.chown(path, NOBODY, NOBODY)
    out = check(path, tmp_path)
    assert out.returncode == 2
    assert_one_sentence(out.stderr)
    assert f"belongs to another user (uid {NOBODY})" in out.stderr
    os.chown(path, os.getuid(), os.getgid())
    os.chown(path.parent, NOBODY, NOBODY)
    with pytest.raises(ConfigError, match="its folder .* belongs to another user"):
        load_settings(path)


def test_a_private_config_still_loads(tmp_path):
    path = config_in(tmp_path / "mine", mode=0o644)
    assert load_settings(path).ui.theme == "prime-dark"


@pytest.mark.parametrize("key, value", [
    ("aws.read_timeout", "nan"), ("aws.connect_timeout", "inf"),
    ("aws.deadline", "-inf"), ("certificates.timeout", "nan"),
])
def test_nan_and_inf_timeouts_are_refused(tmp_path, key, value):
    section, name = key.split(".")
    path = config_in(tmp_path / "c", f"[{section}]\n{name} = {value}\n")
    out = check(path, tmp_path)
    assert out.returncode == 2
    assert_one_sentence(out.stderr)
    assert f"{path}: {key}: expected a positive number." in out.stderr


@pytest.mark.parametrize("url", ["not a url", "ftp://moto.test", "http://", "http://h:99999",
                                 "127.0.0.1:5000"])
def test_an_endpoint_url_that_is_not_a_url_is_refused_at_load(tmp_path, url):
    with pytest.raises(ConfigError) as caught:
        parse_settings(f'[aws]\nendpoint_url = "{url}"\n', tmp_path / "c.toml")
    assert str(caught.value).startswith(f"{tmp_path / 'c.toml'}: aws.endpoint_url: expected an "
                                        f"http:// or https:// URL")


def test_config_check_catches_an_endpoint_url_that_is_not_a_url(tmp_path):
    path = config_in(tmp_path / "c", '[aws]\nendpoint_url = "not a url"\n')
    out = check(path, tmp_path)
    assert out.returncode == 2
    assert_one_sentence(out.stderr)
    assert "aws.endpoint_url: expected an http:// or https:// URL" in out.stderr


def test_a_bad_aws_endpoint_url_in_the_environment_is_one_sentence(tmp_path):
    path = config_in(tmp_path / "c")
    env = private_env(tmp_path, AWS_ENDPOINT_URL="not a url")
    out = run_primetui("--config", str(path), "instances", "list", env=env)
    assert out.returncode == 1
    assert_one_sentence(out.stderr)
    assert "AWS_ENDPOINT_URL" in out.stderr


@pytest.mark.parametrize("nested", ["a = " + "[" * 3000 + "]" * 3000,
                                    "a = " + "{b = " * 3000 + "1" + "}" * 3000],
                         ids=["arrays", "inline-tables"])
def test_deeply_nested_toml_is_one_sentence(tmp_path, nested):
    path = config_in(tmp_path / "c", nested + "\n")
    out = check(path, tmp_path)
    assert out.returncode == 2
    assert_one_sentence(out.stderr)
    assert f"{path}: not valid TOML" in out.stderr and "nested too deeply" in out.stderr


@pytest.mark.parametrize("where", ["file-as-folder", "no-permission"])
def test_config_init_into_a_path_that_cannot_be_made_is_one_sentence(tmp_path, where):
    if where == "file-as-folder":
        (tmp_path / "a-file").write_text("")
        target = tmp_path / "a-file" / "sub" / "config.toml"
    else:
        if os.getuid() == 0:
            target = Path("/proc/primetui-cannot/config.toml")  # even root cannot mkdir here
        else:
            locked = tmp_path / "locked"
            locked.mkdir(mode=0o500)
            target = locked / "sub" / "config.toml"
    out = run_primetui("--config", str(target), "config", "init", env=private_env(tmp_path))
    assert out.returncode == 2
    assert_one_sentence(out.stderr)
    assert f"{target}: the starter config cannot be written there" in out.stderr
    assert not target.exists()


def test_a_config_that_is_a_directory_is_one_sentence(tmp_path):
    folder = tmp_path / "c" / "config.toml"
    folder.mkdir(parents=True)
    out = check(folder, tmp_path)
    assert out.returncode == 2
    assert_one_sentence(out.stderr)
    assert "is a directory" in out.stderr
    assert stat.S_ISDIR(folder.stat().st_mode)


@pytest.mark.parametrize("command", ["check", "report"])
@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_a_timeout_that_is_not_a_finite_positive_number_is_refused(tmp_path, command, value):
    path = config_in(tmp_path / "c")
    out = run_primetui("--config", str(path), command, "--timeout", value,
                       env=private_env(tmp_path))
    assert out.returncode == 2
    assert_one_sentence(out.stderr)
    assert "--timeout: expected a positive number of seconds." in out.stderr
