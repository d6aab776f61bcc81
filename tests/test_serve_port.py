"""A port already taken is refused at once, with the way out (--port), before anything is built or served."""

from __future__ import annotations

import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.fixture
def taken_port():
    """A port something else listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_port_in_use_is_refused_with_the_way_out(command, taken_port, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("nothing is prepared or served on a taken port")

    monkeypatch.setattr("grassroots.core.management.commands.serve.prepare_to_serve", must_not_run)
    monkeypatch.setattr("grassroots.demo.management.commands.demo.prepare_to_serve", must_not_run)
    with pytest.raises(CommandError) as refused:
        call_command(command, "--host", "127.0.0.1", "--port", str(taken_port))
    message = str(refused.value)
    assert f"Port {taken_port} on 127.0.0.1 is already in use" in message
    assert f"grassroots {command} --port {taken_port + 1}" in message


def test_a_free_port_passes_the_check():
    from grassroots.core.management.commands.serve import ensure_port_free

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as finder:
        finder.bind(("127.0.0.1", 0))
        free = finder.getsockname()[1]
    ensure_port_free("127.0.0.1", free)  # no error
