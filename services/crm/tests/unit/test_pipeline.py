"""The default sales pipeline: valid stages, the keys the reference's examples use, ids fixed per workspace."""

from __future__ import annotations

from crm.domain.pipeline import DEFAULT_STAGES, stage_id
from crm_contracts.crm import DealStageCreate


def test_default_stages_are_valid_ordered_and_cover_the_documented_examples() -> None:
    for stage in DEFAULT_STAGES:
        DealStageCreate.model_validate(stage.data())
    keys = [s.key for s in DEFAULT_STAGES]
    assert len(set(keys)) == len(keys) and {"qualified", "proposal"} <= set(keys)
    assert "discovery" not in keys  # createDealStage's example creates it
    positions = [s.position for s in DEFAULT_STAGES]
    assert positions == sorted(positions) and DEFAULT_STAGES[0].key == "qualified"


def test_stage_ids_are_the_same_on_every_attempt_and_differ_between_workspaces_and_keys() -> None:
    assert stage_id("wrk_a", "qualified") == stage_id("wrk_a", "qualified")
    ids = {stage_id(w, s.key) for w in ("wrk_a", "wrk_b") for s in DEFAULT_STAGES}
    assert len(ids) == 2 * len(DEFAULT_STAGES) and all(i.startswith("stage_") for i in ids)
