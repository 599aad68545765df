from __future__ import annotations

import inspect

import shipyard.core.errors as errors
from shipyard.core.errors import IntegrityError, NotFound, ShipyardError, WorkspaceNotFound


def test_every_error_is_drawn_in_the_tree_docstring() -> None:
    doc = errors.__doc__ or ""
    classes = [
        obj
        for obj in vars(errors).values()
        if inspect.isclass(obj) and issubclass(obj, ShipyardError)
    ]
    assert len(classes) == len(errors.__all__)
    for cls in classes:
        assert cls.__name__ in doc, f"{cls.__name__} missing from the error tree docstring"


def test_one_line_joins_message_and_hint_on_a_single_line() -> None:
    error = NotFound(
        "no model 'churn'\n  in project x", hint="list models with `shipyard models ls`"
    )
    assert error.one_line() == (
        "no model 'churn' in project x (list models with `shipyard models ls`)"
    )
    assert "\n" not in error.one_line()
    assert str(error) == "no model 'churn'\n  in project x"


def test_subclasses_keep_their_family_and_fields() -> None:
    assert issubclass(WorkspaceNotFound, NotFound)
    error = IntegrityError("digest mismatch", object_id="abc")
    assert error.object_id == "abc"
    assert error.one_line() == "digest mismatch"
