"""The demo's "12345 hotline" integration, whose key is the well-known `grassroots-demo`.

Demo database only: a real deployment issues random keys (`grassroots apiclient create`).
Called by the demo builder; safe to call again (it finds the client and resets its key).
"""

from __future__ import annotations

from grassroots.api import clients
from grassroots.api.keys import key_hash
from grassroots.api.models import ApiClient, ApiClientChannel, Scope

DEMO_CLIENT_NAME = "12345 hotline (demo)"
#: The community's own phone line in the demo, as the switchboard names it (docs/telephony.md).
DEMO_LINE_CODE = "office"
DEMO_KEY = "grassroots-demo"


def ensure_demo_api_client(community) -> ApiClient:
    """The demo hotline client of `community`, with every scope and the key `grassroots-demo`."""
    client = ApiClient.objects.filter(name=DEMO_CLIENT_NAME).first()
    if client is None:
        client, _key = clients.apiclient_create(
            name=DEMO_CLIENT_NAME,
            community=community,
            channel=ApiClientChannel.HOTLINE,
            scopes=Scope.values,
            contact="12345 政务服务便民热线（演示）",
            key=DEMO_KEY,
        )
        return client
    if client.key_hash != key_hash(DEMO_KEY):
        clients.apiclient_rotate_key(client=client, key=DEMO_KEY)
    client.community = community
    client.revoked_at = None
    client.active = True
    client.save(update_fields=["community", "revoked_at", "active"])
    return clients.apiclient_update(client=client, scopes=Scope.values, channel=ApiClientChannel.HOTLINE)


def ensure_demo_phone_line(community):
    """The community's service line, so the switchboard's events (docs/telephony.md) work in the demo."""
    from grassroots.telephony.models import Line

    line, _created = Line.objects.update_or_create(
        community=community,
        code=DEMO_LINE_CODE,
        defaults={"name": "社区服务热线", "number": "022-25210000", "active": True},
    )
    return line
