# ruff: noqa
import json
from django.test import Client
from tests.test_api_helpers import *
from tests.test_open311 import published, water_request, post, get

def test_scratch(published, hotline, socialworker, household_a, granny_wang):
    api = as_user(socialworker)
    print("CASES", json.dumps(api.get("/api/v1/cases/", {"page_size": 1}).json(), ensure_ascii=False, indent=1)[:2500])
    print("DETAIL", json.dumps(api.get(f"/api/v1/cases/{published['open'].pk}/").json(), ensure_ascii=False, indent=1)[:5000])
    print("RES", json.dumps(api.get(f"/api/v1/residents/{granny_wang.pk}/").json(), ensure_ascii=False, indent=1))
    print("POST311", post("xml", water_request()).content.decode())
    print("GET311", get("requests", "xml", {"page_size": 1}).content.decode())
    print("GET311J", get("requests", "json", {"page_size": 1}).content.decode())
    print("SVC", get("services/utilities-water", "xml").content.decode()[:1500])
    print("DISC", get("discovery", "json").content.decode())
    print("SVCS", get("services", "json").content.decode()[:600])
    print("INB", json.dumps(Api(key=HOTLINE_KEY).post("/api/v1/inbound/messages/", {"channel":"wechat","sender":"13812345678","text":"家里没水了"}).json(), ensure_ascii=False))
    print("CONFLICT", api.post(f"/api/v1/cases/{published['closed'].pk}/urge/").json())
