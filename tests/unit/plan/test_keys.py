"""The artifact key layout is plan data: every target renders the same segments."""

from __future__ import annotations

from mlc.lower.argo.syntax import key_text
from mlc.plan import ArtifactInput, Mode
from mlc.plan.keys import KeyPart, input_key, output_key


def test_layout() -> None:
    assert output_key("train", "model", item=True) == (KeyPart.RUN, "train", "model", KeyPart.ITEM)
    assert output_key("train", "model", item=True, trial=True) == \
        (KeyPart.RUN, "train", "trials", KeyPart.ITEM, KeyPart.TRIAL, "model")
    zipped = ArtifactInput("m", "train", "model", "model", Mode.ZIP, ("c",))
    whole = ArtifactInput("m", "train", "model", "model", Mode.FANIN, ("c",))
    assert input_key(zipped) == output_key("train", "model", item=True)
    assert input_key(whole) == output_key("train", "model", item=False)


def test_argo_renders_every_part() -> None:
    text = key_text((KeyPart.RUN, "s", "trials", KeyPart.ITEM, KeyPart.TRIAL, "o"))
    assert text == ("{{inputs.parameters.run-id}}/s/trials/{{inputs.parameters.item-key}}/"
                    "trial={{inputs.parameters.trial}}/o")
    for part in KeyPart:
        assert "{{" in key_text((part,))
