"""`grassroots apiclient`: issue, list, rotate and revoke integration keys from the shell.

    grassroots apiclient create "12345 hotline" --community HSY --channel hotline
    grassroots apiclient list
    grassroots apiclient rotate "12345 hotline"
    grassroots apiclient revoke "12345 hotline"

A new key is printed once and never stored (only its SHA-256 is): copy it to the
integration right away. Scopes default to open311, cases:report, cases:read and
registry:read; give --scope (repeatable) to choose.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from grassroots.api import clients
from grassroots.api.models import ApiClient, ApiClientChannel, Scope
from grassroots.places.models import Community


class Command(BaseCommand):
    help = "Issue, list, rotate and revoke API keys of integrations (a new key is printed once)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="command", required=True)
        create = sub.add_parser("create", help="a new integration and its key")
        create.add_argument("name")
        create.add_argument("--community", required=True, help="the community's code, e.g. HSY")
        create.add_argument("--channel", choices=ApiClientChannel.values, default=ApiClientChannel.API)
        create.add_argument("--scope", action="append", choices=Scope.values, dest="scopes")
        create.add_argument("--contact", default="")
        sub.add_parser("list", help="all integrations (keys are never shown)")
        for name, text in (
            ("rotate", "replace the key (the old one stops at once)"),
            ("revoke", "stop for good"),
        ):
            command = sub.add_parser(name, help=text)
            command.add_argument("name")

    def handle(self, *args, command: str, **options):
        if command == "create":
            community = Community.objects.filter(code__iexact=options["community"]).first()
            if community is None:
                raise CommandError(f"No community with the code {options['community']!r}.")
            if ApiClient.objects.filter(name=options["name"]).exists():
                raise CommandError(f"An API client called {options['name']!r} exists already.")
            client, key = clients.apiclient_create(
                name=options["name"],
                community=community,
                channel=options["channel"],
                scopes=options["scopes"],
                contact=options["contact"],
            )
            self._print_key(client, key)
        elif command == "list":
            for client in ApiClient.objects.select_related("community"):
                state = "revoked" if client.revoked_at else ("active" if client.active else "inactive")
                self.stdout.write(
                    f"{client.name}\t{client.community.code}\t{client.channel}\t{client.key_prefix}…\t"
                    f"{state}\t{','.join(client.scopes)}"
                )
        else:
            client = ApiClient.objects.filter(name=options["name"]).first()
            if client is None:
                raise CommandError(f"No API client called {options['name']!r}.")
            if command == "rotate":
                if client.revoked_at:
                    raise CommandError("This client is revoked; create a new one.")
                self._print_key(client, clients.apiclient_rotate_key(client=client))
            else:
                clients.apiclient_revoke(client=client)
                self.stdout.write(f"Revoked {client.name}.")

    def _print_key(self, client: ApiClient, key: str) -> None:
        self.stdout.write(f"API client: {client.name} ({client.community.code}, channel {client.channel})")
        self.stdout.write(f"Scopes:     {', '.join(client.scopes)}")
        self.stdout.write(f"Key:        {key}")
        self.stdout.write("Copy the key now: it is not stored and cannot be shown again.")
