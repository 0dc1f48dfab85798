"""bot.ops.stack enables the WeChat channel only when WECHAT_TOKEN is set."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.ops.stack import PROJECT_ROOT, Ports, Stack, credentials_file


def test_without_a_token_rasa_gets_the_plain_credentials(tmp_path: Path) -> None:
    env: dict[str, str] = {}
    assert credentials_file(env, tmp_path) == PROJECT_ROOT / "credentials.yml"
    assert env == {} and list(tmp_path.iterdir()) == []


def test_with_a_token_the_wechat_section_is_added_with_env_placeholders(tmp_path: Path) -> None:
    env = {"WECHAT_TOKEN": "t0k3n", "WECHAT_APP_ID": "wx1"}
    path = credentials_file(env, tmp_path)
    assert path.parent == tmp_path
    text = path.read_text(encoding="utf-8")
    assert "t0k3n" not in text, "secrets stay in the environment, not in the file"
    section = yaml.safe_load(text)["connectors.wechat.WeChatInput"]
    assert section["token"] == "${WECHAT_TOKEN}" and section["aes_key"] == "${WECHAT_AES_KEY}"
    base = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text(encoding="utf-8"))
    assert set(base) < set(yaml.safe_load(text)), "every channel of credentials.yml stays"
    # Rasa fails on an unset ${VAR}: every placeholder has a value now.
    for key in ("WECHAT_SECRET", "WECHAT_AES_KEY", "WECHAT_API_BASE_URL", "WECHAT_TEMPLATE_ID"):
        assert key in env
    assert env["WECHAT_APP_ID"] == "wx1"


def test_stack_passes_the_runtime_credentials_and_shared_settings(tmp_path: Path) -> None:
    stack = Stack(
        ports=Ports(15005, 15055, 18000),
        var_dir=tmp_path,
        extra_env={"WECHAT_TOKEN": "t", "GW_INTERNAL_TOKEN": "shared"},
    )
    rasa = stack.procs["rasa"]
    assert str(tmp_path / "credentials.runtime.yml") in rasa.argv
    assert rasa.env["GW_APP_URL"] == "http://127.0.0.1:18000"
    assert rasa.env["GW_INTERNAL_TOKEN"] == stack.procs["app"].env["GW_INTERNAL_TOKEN"] == "shared"
    assert stack.procs["app"].env["GW_EVIDENCE_DIR"] == str(tmp_path / "evidence")
    plain = Stack(ports=Ports(15006, 15056, 18001), var_dir=tmp_path / "plain")
    assert str(PROJECT_ROOT / "credentials.yml") in plain.procs["rasa"].argv
    assert plain.procs["rasa"].env["GW_INTERNAL_TOKEN"], "a shared token is made up when unset"
