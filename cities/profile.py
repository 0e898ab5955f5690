"""The city profile's scale and labels, read by every page, form, serializer and import."""

from __future__ import annotations

# Expertise a city offers and needs it states, per policy area (SCORING.md's E and N).
LEVEL_MIN = 0
LEVEL_MAX = 3
EXPERTISE_LABELS = {0: "none", 1: "some", 2: "proven", 3: "leading"}
NEED_LABELS = {0: "none", 1: "low", 2: "medium", 3: "high"}
# How much outside help the administration can absorb.
ABSORPTIVE_CAPACITY_MAX = 5
