"""A small REST client for the CLI's client verbs."""

from __future__ import annotations

from typing import Any

import requests

from cli.config import ClientConfig, load_config
from cli.output import CommandError

TIMEOUT_SECONDS = 30


def describe_error(response: requests.Response) -> str:
    """Studio's error body (`detail` and field `errors`) as one readable line."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code} from {response.url}"
    detail = body.get("detail", "") if isinstance(body, dict) else str(body)
    errors = body.get("errors") if isinstance(body, dict) else None
    parts = [f"HTTP {response.status_code}: {detail}".rstrip(": ")]
    for field, messages in (errors or {}).items():
        parts.append(f"  {field}: {'; '.join(messages)}")
    return "\n".join(parts)


class StudioClient:
    """Calls a Studio's REST API with a bearer token."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {config.token}",
                "Accept": "application/json",
                "User-Agent": "studio-cli/1",  # the audit log says "cli" for what it does
            }
        )

    @classmethod
    def from_saved_login(cls) -> StudioClient:
        """A client for the saved login, or a CommandError saying how to log in."""
        config = load_config()
        if config is None:
            raise CommandError(
                "not logged in: run `studio login --url URL --username NAME`, "
                "or set STUDIO_URL and STUDIO_TOKEN"
            )
        return cls(config)

    def request(self, method: str, path: str, **kwargs) -> Any:
        """Send a request to /api/v1/<path> and return the decoded JSON body."""
        url = f"{self.config.url}/api/v1/{path.lstrip('/')}"
        try:
            response = self.session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as error:
            raise CommandError(f"cannot reach {self.config.url}: {error}") from None
        if response.status_code >= 400:
            raise CommandError(describe_error(response))
        return response.json() if response.content else None
