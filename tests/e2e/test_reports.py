"""Reports over a ledger the daemon filled from the emulated org (not hand-made rows)."""

from __future__ import annotations

import json

import pytest

from connector.cli import main
from e2e.world import World


def test_the_pipeline_shows_the_open_deal_weighted_by_its_probability(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    pilot = world.org.opportunities["initech_open"]
    world.stack.salesforce.update("Opportunity", pilot, {"Probability": 40, "Amount": 1500})
    world.cycle()
    capsys.readouterr()

    code = main(["report", "pipeline", "--format", "json", "--config",
                 str(world.engine.config.source)])

    rows = json.loads(capsys.readouterr().out)
    assert code == 0
    # the ticked Globex deal is open too, without a probability: it weighs nothing
    assert [(r["stage"], r["opportunities"], r["amount"], r["weighted"]) for r in rows] == [
        ("Negotiation/Review", 1, "1200.00", "0.00"), ("Prospecting", 1, "1500.00", "600.00")]
