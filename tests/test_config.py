"""Config loading: every error path names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.config import load_config, resolve_config_path
from connector.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def test_example_config_is_valid_and_documents_every_key() -> None:
    example = REPO / "config.example.toml"
    config = load_config(example)
    text = example.read_text(encoding="utf-8")
    for section in ("ledger", "salesforce", "stripe", "notifications", "mappings", "templates",
                    "webhooks"):
        for key in type(getattr(config, section)).model_fields:
            documented = (f"\n{key} =", f"\n# {key} =", f"[[{section}.{key}]]")
            assert any(form in text for form in documented), f"{section}.{key} undocumented"
    for key in ("url", "events", "description", "timeout", "secret_name"):
        assert f"\n# {key} =" in text, f"webhooks.endpoints.{key} undocumented"


def test_defaults_and_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, '[ledger]\nurl = "sqlite:///data/ledger.db"\n'))
    assert config.ledger.url == f"sqlite:///{tmp_path}/data/ledger.db"
    assert config.mappings.dir == tmp_path / "mappings"
    assert config.templates.dir == tmp_path / "templates"
    assert config.salesforce.max_api_share == 0.5
    assert config.source == tmp_path / "config.toml"


def test_absolute_and_server_urls_pass_unchanged(tmp_path: Path) -> None:
    url = "postgresql+psycopg://sync@db.internal/ledger"
    config = load_config(_write(tmp_path, f'[ledger]\nurl = "{url}"\n'))
    assert config.ledger.url == url


def test_ca_bundle_resolves_relative_to_config(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, '[salesforce]\nca_bundle = "certs/ca.pem"\n'))
    assert config.salesforce.ca_bundle == tmp_path / "certs" / "ca.pem"


def test_missing_file_says_how_to_point_at_one(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path / "nope.toml")
    assert problem.startswith(f"{tmp_path / 'nope.toml'}: file not found")
    assert "--config" in problem


def test_invalid_toml_is_reported_with_its_position(tmp_path: Path) -> None:
    [problem] = _problems(_write(tmp_path, "[ledger\n"))
    assert "not valid TOML" in problem
    assert "line 1" in problem


def test_a_folder_given_as_the_config_file_is_named_as_such(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path)
    assert problem.startswith(f"{tmp_path}: is a folder, not a config file")


def test_a_config_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xff\xfe[ledger]\n")
    assert _problems(path) == [f"{path}: not UTF-8 text (byte 0); save it as UTF-8"]


def test_unknown_key_gets_did_you_mean(tmp_path: Path) -> None:
    path = _write(tmp_path, "[salesforce]\npoll_intervall = 30\n")
    assert _problems(path) == [
        f"{path}: salesforce.poll_intervall: unknown key (did you mean 'poll_interval'?)"
    ]


def test_unknown_section_gets_did_you_mean(tmp_path: Path) -> None:
    path = _write(tmp_path, "[notification]\nsmtp_host = 'x'\n")
    assert _problems(path) == [f"{path}: notification: unknown key (did you mean 'notifications'?)"]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, (
        '[salesforce]\nauth = "oauth"\nmax_api_share = 1.5\n'
        '[stripe]\nproration_behavior = "sometimes"\nwebhook_listen = "8765"\n'
    ))
    problems = _problems(path)
    assert [p.split(": ")[1] for p in problems] == [
        "salesforce.auth", "salesforce.max_api_share",
        "stripe.webhook_listen", "stripe.proration_behavior",
    ]
    assert "'password', 'jwt' or 'client_credentials'" in problems[0]
    assert "less than or equal to 1" in problems[1]


def test_wrong_type_names_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, '[salesforce]\npoll_interval = "soon"\n')
    [problem] = _problems(path)
    assert problem.startswith(f"{path}: salesforce.poll_interval: ")
    assert "integer" in problem


def test_secrets_in_the_file_are_refused_with_the_variable_to_use(tmp_path: Path) -> None:
    path = _write(tmp_path, '[stripe]\napi_key = "sk_live_abc"\n')
    problems = _problems(path)
    assert problems[0] == (
        f"{path}: stripe.api_key: secrets are never read from the config file; "
        "set STRIPE_API_KEY in the environment or a credential file"
    )
    assert not any("sk_live_abc" in p for p in problems)


def test_login_url_must_be_a_url(tmp_path: Path) -> None:
    path = _write(tmp_path, '[salesforce]\nlogin_url = "login.salesforce.com"\n')
    [problem] = _problems(path)
    assert "salesforce.login_url" in problem
    assert "must be a URL" in problem


def test_config_path_precedence(tmp_path: Path) -> None:
    env = {"CRM_CONNECTOR_CONFIG": "/etc/crm-connector/config.toml"}
    assert resolve_config_path("mine.toml", env) == Path("mine.toml")
    assert resolve_config_path(None, env) == Path("/etc/crm-connector/config.toml")
    assert resolve_config_path(None, {}) == Path("config.toml")
