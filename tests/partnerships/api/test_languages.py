"""The partnership API answers its validation errors in the client's Accept-Language; the
fields that name the errors, and the answers' codes, stay the same in every language."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from partnerships.models import Partnership
from tests.factories import PartnershipFactory

pytestmark = pytest.mark.django_db

LIST = "/api/partnerships/"


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_a_refused_partnership_is_explained_in_the_client_language(donor, donor_editor):
    client = client_of(donor_editor)
    data = {"donor": donor.pk, "recipient": donor.pk, "policy_areas": ["waste"]}
    answers = {
        language: client.post(LIST, data, format="json", HTTP_ACCEPT_LANGUAGE=language)
        for language in ("en", "ja", "vi")
    }
    assert {response.status_code for response in answers.values()} == {400}
    assert answers["en"].json()["recipient"] == [
        "A city cannot be its own partner.",
        "Kitakyushu is not a recipient city (its role is donor).",
    ]
    assert answers["ja"].json()["recipient"] == [
        "同じ都市同士はパートナーになれません。",
        "Kitakyushu は受入都市ではありません（役割: 支援都市）。",
    ]
    assert answers["vi"].json()["recipient"] == [
        "Một thành phố không thể là đối tác của chính mình.",
        "Kitakyushu không phải là thành phố tiếp nhận (vai trò: thành phố hỗ trợ).",
    ]
    assert len({tuple(sorted(response.json())) for response in answers.values()}) == 1
    assert not Partnership.objects.exists()


def test_a_refused_step_is_explained_in_the_client_language(
    donor, recipient, areas, recipient_editor, donor_editor
):
    partnership = PartnershipFactory(donor=donor, recipient=recipient, status="agreed")
    partnership.policy_areas.set([areas["waste"]])
    url = f"{LIST}{partnership.pk}/steps/"
    client = client_of(recipient_editor)
    answers = {
        language: client.post(
            url, {"to_status": "expanded"}, format="json", HTTP_ACCEPT_LANGUAGE=language
        )
        for language in ("en", "ja", "vi")
    }
    assert {response.status_code for response in answers.values()} == {400}
    assert "cannot move to expanded" in answers["en"].json()["status"][0]
    japanese = answers["ja"].json()["status"][0]
    assert "「合意済み」のパートナーシップは「新分野へ展開」に移行できません" in japanese
    vietnamese = answers["vi"].json()["status"][0]
    assert "không thể chuyển sang mở rộng sang lĩnh vực mới" in vietnamese
    assert len({tuple(sorted(response.json())) for response in answers.values()}) == 1
    assert not partnership.step_proposals.exists()

    # A reason is required to decline: the field keeps its name, the words follow the client.
    step = client_of(recipient_editor).post(url, {"to_status": "pilot"}, format="json")
    assert step.status_code == 201, step.json()
    decline = f"{url}{step.json()['id']}/decline/"
    response = client_of(donor_editor).post(decline, {}, format="json", HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 400
    assert response.json()["reason"] == [
        "Vui lòng nêu lý do để thành phố kia biết cần thay đổi điều gì."
    ]
