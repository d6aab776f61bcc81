"""POST /api/v1/telephony/calls/: the switchboard tells grassroots about a call (docs/telephony.md).

The switchboard (Asterisk, FreeSWITCH, a PBX's webhook) calls with an integration key that holds
the `telephony` scope, once per event of a call: ringing, answered, ended (or missed). The line is
named by its code among the lines of the key's community. Send an `Idempotency-Key` (the call id
plus the event, say) and a retried request gets the first answer again.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from grassroots.api.authentication import api_client_of
from grassroots.api.idempotency import idempotent
from grassroots.api.models import Scope
from grassroots.api.schema import ApiSchema, document
from grassroots.api.throttling import _PerClientThrottle, rate_for
from grassroots.api.views import ApiMixin
from grassroots.telephony.models import CallBack, CallStatus
from grassroots.telephony.services import call_event


class CallEventThrottle(_PerClientThrottle):
    """Per switchboard key: a busy line sends a few events per call."""

    scope = "telephony"

    def __init__(self):
        self.rate = rate_for(self.scope) or "600/min"
        self.num_requests, self.duration = self.parse_rate(self.rate)


class CallEventSerializer(serializers.Serializer):
    call_id = serializers.RegexField(
        r"^[A-Za-z0-9._:@-]+\Z",
        max_length=100,
        help_text="The switchboard's id of the call (Asterisk ${UNIQUEID}, FreeSWITCH ${uuid}); "
        "letters, digits and . _ : @ -",
    )
    caller = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text="The caller's number (CALLERID(num)); blank or 'anonymous' when withheld.",
    )
    line = serializers.SlugField(max_length=40, help_text="The line's code, as configured in grassroots.")
    event = serializers.ChoiceField(
        choices=CallStatus.choices,
        help_text="What happened: the call rings, is answered, ends (or is missed).",
    )
    time = serializers.DateTimeField(required=False, help_text="When it happened (default: now).")


class CallAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    call_id = serializers.CharField()
    line = serializers.CharField()
    status = serializers.ChoiceField(choices=CallStatus.choices)
    changed = serializers.BooleanField(
        help_text="False when the event repeated or came after the call moved on."
    )
    known_caller = serializers.BooleanField(help_text="One resident of the community has this number.")
    callback = serializers.ChoiceField(choices=CallBack.values, help_text="'due': a call-back task was made.")


class CallEventSchema(ApiSchema):
    """The operation's schema, with the request a dialplan sends as its example."""

    def get_examples(self):
        return [
            OpenApiExample(
                "The phone rings",
                value={
                    "call_id": "1733540000.17",
                    "caller": "13812345678",
                    "line": "office",
                    "event": "ringing",
                },
                request_only=True,
            )
        ]


class CallEventView(ApiMixin, APIView):
    """A call event from the switchboard: opens the screen pop of the workers on duty for the line."""

    required_scope = Scope.TELEPHONY
    schema = CallEventSchema()
    clients_only = True
    throttle_classes = [CallEventThrottle]
    pagination_class = None
    filter_backends: list = []

    @document(
        tags=["telephony"],
        summary="Report a call event (ringing, answered, ended, missed)",
        request=CallEventSerializer,
        responses={200: CallAnswerSerializer, 201: CallAnswerSerializer},
    )
    @idempotent
    def post(self, request):
        serializer = CallEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = call_event(
            client=api_client_of(request),
            call_id=data["call_id"],
            line=data["line"],
            event=data["event"],
            caller=data.get("caller", ""),
            at=data.get("time"),
        )
        call = result.call
        body = {
            "id": call.pk,
            "call_id": call.call_id,
            "line": call.line.code,
            "status": call.status,
            "changed": result.changed,
            "known_caller": call.person_id is not None,
            "callback": call.callback,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    post.idempotent_operation = True
