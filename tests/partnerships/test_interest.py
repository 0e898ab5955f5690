"""Expressions of interest: sent from a match page, answered in the inbox, and mutual interest
marked and ranked first in the match browser."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cities.models import PolicyArea
from partnerships.models import ExpressionOfInterest, Partnership
from partnerships.services import interest as service
from tests.factories import CityFactory, InterestFactory, MatchFactory, UserFactory

Interest = ExpressionOfInterest


def send(client, match, **data):
    payload = {"message": "Your composting is what we need.", "policy_areas": ["waste"], **data}
    return client.post(
        reverse("interest-send", args=[match.donor.slug, match.recipient.slug]), payload
    )


def test_the_match_page_offers_interest_and_a_partnership_to_editors(
    client, match, recipient_editor
):
    client.force_login(recipient_editor)
    page = client.get(
        reverse("match-detail", args=[match.donor.slug, match.recipient.slug])
    ).content.decode()
    assert "Express interest" in page
    assert reverse("interest-send", args=[match.donor.slug, match.recipient.slug]) in page
    assert reverse("partnership-start", args=[match.donor.slug, match.recipient.slug]) in page
    client.force_login(UserFactory())
    page = client.get(
        reverse("match-detail", args=[match.donor.slug, match.recipient.slug])
    ).content.decode()
    assert reverse("interest-send", args=[match.donor.slug, match.recipient.slug]) not in page
    assert "Editors of Kitakyushu or Surabaya can express interest" in page


def test_an_editor_sends_interest_and_the_other_city_sees_it_in_its_inbox(
    client, match, recipient_editor, donor_editor
):
    client.force_login(recipient_editor)
    response = send(client, match)
    assert response.status_code == 302 and response.url == match.get_absolute_url()
    interest = Interest.objects.get()
    assert (interest.from_city, interest.to_city) == (match.recipient, match.donor)
    assert interest.from_role == "recipient" and interest.sent_by == recipient_editor
    assert list(interest.policy_areas.values_list("code", flat=True)) == ["waste"]

    client.force_login(donor_editor)
    inbox = client.get(reverse("interest-inbox"))
    assert inbox.status_code == 200
    page = inbox.content.decode()
    assert "Your composting is what we need." in page
    assert reverse("interest-accept", args=[interest.pk]) in page
    # The sender sees it among what it sent, not as something to answer.
    client.force_login(recipient_editor)
    page = client.get(reverse("interest-inbox")).content.decode()
    assert "Your composting is what we need." in page
    assert reverse("interest-accept", args=[interest.pk]) not in page


def test_sending_needs_a_message_and_an_area_and_writes_nothing_otherwise(
    client, match, recipient_editor
):
    client.force_login(recipient_editor)
    response = send(client, match, message="  ", policy_areas=[])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page and "Why this partner" in page
    assert "Which policy areas" in page
    assert not Interest.objects.exists()


def test_one_open_message_per_direction(client, match, recipient_editor):
    client.force_login(recipient_editor)
    send(client, match)
    response = send(client, match)
    assert "Surabaya told Kitakyushu on" in response.content.decode()
    assert Interest.objects.count() == 1
    # The service refuses it whatever the page shows.
    with pytest.raises(ValidationError) as error:
        service.send_interest(
            user=recipient_editor,
            match=match,
            from_city=match.recipient,
            message="Again",
            policy_areas=PolicyArea.objects.filter(code="waste"),
        )
    assert "already told Kitakyushu" in error.value.message_dict["message"][0]


def test_only_editors_of_the_pair_may_send(client, match):
    client.force_login(UserFactory())
    assert send(client, match).status_code == 403
    assert not Interest.objects.exists()


def test_accepting_proposes_a_partnership_with_the_match_kept(client, match, donor_editor):
    interest = InterestFactory(
        from_city=match.recipient, to_city=match.donor, match_ref=match.pk, from_role="recipient"
    )
    interest.policy_areas.set([])
    client.force_login(donor_editor)
    response = client.post(reverse("interest-accept", args=[interest.pk]))
    partnership = Partnership.objects.get()
    assert response.status_code == 302 and response.url == partnership.get_absolute_url()
    assert partnership.status == "proposed"
    assert (partnership.donor, partnership.recipient) == (match.donor, match.recipient)
    assert partnership.match_snapshot["score"] == match.score
    # No area was named: the match's top areas are used.
    assert set(partnership.policy_areas.values_list("code", flat=True)) == {"waste", "air"}
    assert "Your waste programme is what we need." in partnership.reasons
    interest.refresh_from_db()
    assert interest.status == "accepted" and interest.partnership == partnership
    assert interest.answered_by == donor_editor


def test_accepting_settles_the_open_message_the_other_way_too(client, match, donor_editor):
    first = InterestFactory(from_city=match.recipient, to_city=match.donor, match_ref=match.pk)
    back = InterestFactory(from_city=match.donor, to_city=match.recipient, from_role="donor")
    client.force_login(donor_editor)
    client.post(reverse("interest-accept", args=[first.pk]))
    back.refresh_from_db()
    assert back.status == "accepted" and back.partnership == Partnership.objects.get()


def test_declining_needs_a_reason_that_the_sender_then_reads(
    client, match, donor_editor, recipient_editor
):
    interest = InterestFactory(from_city=match.recipient, to_city=match.donor)
    client.force_login(donor_editor)
    response = client.post(reverse("interest-decline", args=[interest.pk]), {"reason": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    interest.refresh_from_db()
    assert interest.status == "open"

    response = client.post(
        reverse("interest-decline", args=[interest.pk]),
        {"reason": "Our team is busy with another city until next year."},
    )
    assert response.status_code == 302
    interest.refresh_from_db()
    assert interest.status == "declined" and interest.answered_by == donor_editor
    client.force_login(recipient_editor)
    page = client.get(reverse("interest-inbox")).content.decode()
    assert "Our team is busy with another city until next year." in page
    assert not Partnership.objects.exists()


def test_only_the_receiving_citys_editors_may_answer(client, match, recipient_editor):
    interest = InterestFactory(from_city=match.recipient, to_city=match.donor)
    client.force_login(recipient_editor)  # the sender
    assert client.post(reverse("interest-accept", args=[interest.pk])).status_code == 403
    response = client.post(reverse("interest-decline", args=[interest.pk]), {"reason": "x"})
    assert response.status_code == 403
    interest.refresh_from_db()
    assert interest.status == "open"


def test_an_answered_message_cannot_be_answered_again(client, match, donor_editor):
    interest = InterestFactory(from_city=match.recipient, to_city=match.donor, status="declined")
    client.force_login(donor_editor)
    response = client.post(reverse("interest-accept", args=[interest.pk]))
    assert response.status_code == 200
    assert "already answered" in response.content.decode()
    assert not Partnership.objects.exists()


def _browser_ids(client, **params):
    response = client.get(reverse("match-list"), {"scope": "all", **params})
    assert response.status_code == 200
    return response, [m.pk for m in response.context["page"].object_list]


def test_mutually_interested_pairs_are_marked_and_ranked_first(client, run, recipient_editor):
    recipient = CityFactory(name="Da Nang", role="recipient")
    donors = [CityFactory(name=f"Donor {i}", role="donor") for i in range(4)]
    matches = [
        MatchFactory(run=run, donor=donor, recipient=recipient, score=score)
        for donor, score in zip(donors, (90, 80, 70, 60), strict=True)
    ]
    client.force_login(recipient_editor)
    _, ids = _browser_ids(client)
    assert ids == [m.pk for m in matches]

    # One way only: no change. Both ways: first, and marked.
    InterestFactory(from_city=recipient, to_city=donors[2])
    _, ids = _browser_ids(client)
    assert ids == [m.pk for m in matches]
    InterestFactory(from_city=donors[2], to_city=recipient, status="accepted")
    response, ids = _browser_ids(client)
    assert ids == [matches[2].pk, matches[0].pk, matches[1].pk, matches[3].pk]
    assert response.content.decode().count("both interested") == 1
    assert response.context["page"].paginator.count == 4
    # Also with the explicit default order; another order is the reader's choice.
    assert _browser_ids(client, ordering="-score")[1][0] == matches[2].pk
    assert _browser_ids(client, ordering="score")[1] == [m.pk for m in reversed(matches)]
    # A declined message no longer counts.
    ExpressionOfInterest.objects.filter(from_city=recipient).update(status="declined")
    assert _browser_ids(client)[1] == [m.pk for m in matches]


def test_mutual_pairs_first_across_pages(client, run, recipient_editor):
    recipient = CityFactory(role="recipient")
    matches = [
        MatchFactory(run=run, recipient=recipient, score=100 - i, donor_rank=1) for i in range(30)
    ]
    last = matches[-1]
    InterestFactory(from_city=recipient, to_city=last.donor)
    InterestFactory(from_city=last.donor, to_city=recipient)
    client.force_login(recipient_editor)
    _, first = _browser_ids(client, recipient=recipient.pk)
    _, second = _browser_ids(client, recipient=recipient.pk, page=2)
    assert first[0] == last.pk and len(first) == 25
    assert second == [m.pk for m in matches[24:29]]
    assert set(first) | set(second) == {m.pk for m in matches}


@pytest.mark.parametrize("count", [1, 12])
def test_inbox_query_count_is_fixed(client, django_assert_num_queries, donor, donor_editor, count):
    for _ in range(count):
        interest = InterestFactory(from_city=CityFactory(), to_city=donor)
        interest.policy_areas.set([1, 2])
        InterestFactory(from_city=donor, to_city=CityFactory())
    client.force_login(donor_editor)
    # session, user, received + their areas, sent + their areas
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(7):
        assert client.get(reverse("interest-inbox")).status_code == 200
