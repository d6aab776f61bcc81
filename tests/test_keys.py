"""The data key and the data it sealed (issue 13.5): a wrong key is refused, a new one takes over.

A database restored without its var/data.key used to start with a freshly generated key, and
then every reveal failed with a 500 and a phone search found nobody. The key's fingerprint is
kept with the data; `serve`, `worker`, `migrate` and /healthz refuse a key that does not match,
and `grassroots keys rotate` re-seals everything with a new key while the old one still opens it.
"""

from __future__ import annotations

import base64
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from grassroots.config import env
from grassroots.core import keys, pii
from grassroots.core.models import DataKey, KeyState
from grassroots.people.models import Person
from tests.factories import make_phone

pytestmark = pytest.mark.django_db

OTHER_KEY = base64.urlsafe_b64encode(b"o" * 48).decode()
NEW_KEY = base64.urlsafe_b64encode(b"n" * 48).decode()


def test_the_test_database_recorded_its_key_when_migrated():
    assert list(DataKey.objects.values_list("fingerprint", "state")) == [
        (keys.configured_fingerprint(), KeyState.CURRENT)
    ]
    assert keys.check_data_key().ok


def test_a_fingerprint_reveals_nothing_of_the_key_and_tells_keys_apart(settings):
    fingerprint = pii.key_fingerprint(settings.GRASSROOTS_DATA_KEY)
    assert len(fingerprint) == 32 and fingerprint not in settings.GRASSROOTS_DATA_KEY
    assert pii.key_fingerprint(OTHER_KEY) != fingerprint


def test_another_key_is_refused_with_what_to_do(settings, granny_wang):
    settings.GRASSROOTS_DATA_KEY = OTHER_KEY
    verdict = keys.check_data_key()
    assert not verdict.ok
    assert "does not match" in verdict.reason and "backup" in verdict.reason
    with pytest.raises(keys.DataKeyMismatch):
        keys.require_data_key()


def test_the_message_says_when_a_missing_key_file_was_just_replaced(settings, monkeypatch):
    monkeypatch.setattr(env, "GENERATED_SECRETS", {"data.key"})
    monkeypatch.setattr(keys, "GENERATED_SECRETS", env.GENERATED_SECRETS)
    settings.GRASSROOTS_DATA_KEY = OTHER_KEY
    assert "var/data.key was missing" in keys.check_data_key().reason


def test_serve_refuses_to_start_with_another_key(settings):
    from grassroots.core.management.commands.serve import refuse_a_wrong_data_key

    settings.GRASSROOTS_DATA_KEY = OTHER_KEY
    with pytest.raises(CommandError, match="does not match"):
        refuse_a_wrong_data_key()


def test_healthz_says_why_a_server_with_another_key_is_unhealthy(settings, client):
    settings.GRASSROOTS_DATA_KEY = OTHER_KEY
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["data_key"] == "mismatch"
    assert "does not match" in response.json()["reason"]


def test_the_database_check_is_critical_with_another_key(settings):
    from django.core import checks

    from grassroots.core.apps import check_the_data_key

    settings.GRASSROOTS_DATA_KEY = OTHER_KEY
    [message] = check_the_data_key(databases=["default"])
    assert message.level == checks.CRITICAL and message.id == "grassroots.core.E001"
    assert check_the_data_key(databases=None) == []


def test_a_database_from_before_fingerprints_records_the_key_that_opens_its_data(granny_wang):
    DataKey.objects.all().delete()
    assert keys.check_data_key(record=True).ok
    assert DataKey.objects.get().fingerprint == keys.configured_fingerprint()


def test_a_database_from_before_fingerprints_refuses_a_key_that_cannot_open_its_data(settings, granny_wang):
    DataKey.objects.all().delete()
    settings.GRASSROOTS_DATA_KEY = OTHER_KEY
    assert not keys.check_data_key(record=True).ok
    assert not DataKey.objects.exists()


def test_a_value_sealed_before_key_rings_still_opens(settings):
    """Values written as "v1:..." (no key named) open with any key of the ring."""
    legacy = pii.encrypt("13800000001").split(":", 2)[2]
    assert pii.decrypt(f"v1:{legacy}") == "13800000001"


# --- rotation -----------------------------------------------------------------------------------


@pytest.fixture
def people(granny_wang, household_a):
    from tests.factories import PersonFactory

    others = [PersonFactory(household=household_a) for _ in range(4)]
    for serial, person in enumerate([granny_wang, *others]):
        person.set_phone(make_phone(900 + serial))
        person.save()
    return [granny_wang, *others]


def _rotate_to_the_new_key(settings, old_key: str, **options) -> str:
    settings.GRASSROOTS_DATA_KEY = NEW_KEY
    settings.GRASSROOTS_RETIRED_DATA_KEYS = [old_key]
    out = StringIO()
    call_command("keys", "rotate", stdout=out, **options)
    return out.getvalue()


def test_rotation_reseals_every_number_and_search_still_finds_them(settings, people):
    old_key = settings.GRASSROOTS_DATA_KEY
    phone = make_phone(900)
    output = _rotate_to_the_new_key(settings, old_key, batch_size=2)
    assert "people.Person.phone_encrypted: 5/5" in output
    new_id = pii.key_id(NEW_KEY)
    assert all(
        token.startswith(f"v2:{new_id}:")
        for token in Person.objects.values_list("phone_encrypted", flat=True)
    )
    assert Person.objects.get(pk=people[0].pk).reveal("phone") == phone
    assert list(Person.objects.with_phone(phone)) == [people[0]]
    states = dict(DataKey.objects.values_list("fingerprint", "state"))
    assert states == {
        pii.key_fingerprint(old_key): KeyState.RETIRED,
        pii.key_fingerprint(NEW_KEY): KeyState.CURRENT,
    }
    # Without the old key the new one alone opens everything; the old key is now refused.
    settings.GRASSROOTS_RETIRED_DATA_KEYS = []
    assert Person.objects.get(pk=people[1].pk).reveal("phone") == make_phone(901)
    assert keys.check_data_key().ok
    settings.GRASSROOTS_DATA_KEY = old_key
    assert "retired" in keys.check_data_key().reason


def test_rotation_reseals_the_numbers_a_registration_keeps_in_history(settings, household_a, socialworker):
    from grassroots.people.models import RegistryChange
    from grassroots.people.services import PersonDetails, person_register

    old_key = settings.GRASSROOTS_DATA_KEY
    person = person_register(
        actor=socialworker,
        community_id=household_a.building.community_id,
        details=PersonDetails(name="刘秀兰", sex="F", phone=make_phone(950)),
        household=household_a,
    )
    _rotate_to_the_new_key(settings, old_key)
    settings.GRASSROOTS_RETIRED_DATA_KEYS = []  # the new key alone opens the registration's numbers
    row = RegistryChange.objects.get(person=person)
    assert json.loads(row.new_sealed) == {"phone": make_phone(950)}
    with connection.cursor() as cursor:
        cursor.execute("select new_sealed from people_registrychange where id = %s", [row.pk])
        assert cursor.fetchone()[0].startswith(f"v2:{pii.key_id(NEW_KEY)}:")


def test_an_interrupted_rotation_resumes_and_the_server_may_run_with_the_new_key(settings, people):
    old_key = settings.GRASSROOTS_DATA_KEY
    settings.GRASSROOTS_DATA_KEY = NEW_KEY
    settings.GRASSROOTS_RETIRED_DATA_KEYS = [old_key]
    steps = keys.rotate(batch_size=2)
    first = next(steps)  # two people re-sealed, then the process stops
    assert (first.done, first.total) == (2, 5)
    steps.close()
    assert keys.check_data_key().ok  # the key taking over may already serve
    assert Person.objects.get(pk=people[4].pk).reveal("phone") == make_phone(904)  # via the retired key
    output = StringIO()
    call_command("keys", "rotate", stdout=output)
    assert "people.Person.phone_encrypted: 3/3" in output.getvalue()


def test_rotation_needs_a_new_key_and_the_old_one_to_open_the_data(settings, people):
    old_key = settings.GRASSROOTS_DATA_KEY
    with pytest.raises(CommandError, match="still the current key"):
        call_command("keys", "rotate", stdout=StringIO())
    settings.GRASSROOTS_DATA_KEY = NEW_KEY
    with pytest.raises(CommandError, match="not in GRASSROOTS_RETIRED_DATA_KEYS"):
        call_command("keys", "rotate", stdout=StringIO())
    settings.GRASSROOTS_DATA_KEY = old_key
    assert DataKey.objects.count() == 1


def test_status_names_the_keys_on_record_and_fails_on_a_mismatch(settings):
    out = StringIO()
    call_command("keys", "status", stdout=out)
    assert keys.configured_fingerprint()[:8] in out.getvalue() and "matches" in out.getvalue()
    settings.GRASSROOTS_DATA_KEY = OTHER_KEY
    with pytest.raises(CommandError, match="does not match"):
        call_command("keys", "status", stdout=StringIO())


def test_a_new_key_is_printed_in_the_generated_form():
    out = StringIO()
    call_command("keys", "new", stdout=out)
    assert len(base64.urlsafe_b64decode(out.getvalue().strip())) == 48
