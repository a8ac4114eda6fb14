"""The segmentation flow's parameters, derived from their one declaration: the fields of
`RunRequest` and `Settings` marked `Exposed` (segmentation/settings.py).

From here come the flow's signature and the Args of its docstring (what Prefect shows in the UI
and checks a deployment's parameters against), the command line's shared options
(flows/cli/options.py), and the translation both ways: parameters -> (RunRequest, Settings) in the
flow, and options -> parameters in the command line. prefect.yaml and README's settings table are
checked against it (tests/unit/flows/test_parameters.py).

Light on purpose: no Prefect, no pandas; the command line imports it before anything runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, get_args

from pydantic.fields import FieldInfo

from segmentation.csvfile import path_from_parameter, path_parameter
from segmentation.settings import Exposed, InYaml, RunRequest, Settings, make_settings

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Parameter:
    """One flow parameter: the field it sets and how it is given."""

    name: str  # the flow parameter
    field: str  # the RunRequest or Settings field it sets
    setting: bool  # a Settings field (None: the environment decides) or a RunRequest one
    type: Any  # the flow's annotation
    default: Any
    help: str  # the field's description
    exposed: Exposed

    @property
    def in_yaml(self) -> InYaml:
        return self.exposed.yaml

    @property
    def flag(self) -> str:
        return self.exposed.flag or "--" + self.name.replace("_", "-")

    @property
    def option_type(self) -> Any:
        """What the command-line option takes: text the field parses, a Path, or the flow's type."""
        return self.exposed.option_type or self.type

    @property
    def variable(self) -> str | None:
        """The environment variable that also sets it (settings only)."""
        return f"SEGMENT_{self.field.upper()}" if self.setting else None

    @property
    def option_help(self) -> str:
        text = self.help[0].upper() + self.help[1:]
        return f"{text}. Env: ${self.variable}." if self.variable else f"{text}."

    def to_parameter(self, value: Any) -> Any:
        """A field's value as the flow parameter carries it (JSON: paths as text, tuples as lists)."""
        if value is None:
            return None
        if self.exposed.path:
            return path_parameter(str(value))
        if isinstance(value, tuple):
            return list(value)
        if isinstance(value, dict):
            return dict(value) or None
        return value

    def to_field(self, value: Any) -> Any:
        """The flow parameter's value as the field takes it."""
        if value is not None and self.exposed.path:
            return path_from_parameter(str(value))
        return value


def _annotation(info: FieldInfo) -> tuple[Any, Exposed | None]:
    exposed = next((m for m in info.metadata if isinstance(m, Exposed)), None)
    return info.annotation, exposed


def _optional(kind: Any) -> Any:
    """`kind | None`, unless it already admits None."""
    if kind is None or type(None) in get_args(kind):
        return kind
    return kind | None


def _declared() -> tuple[Parameter, ...]:
    found = []
    for model, setting in ((RunRequest, False), (Settings, True)):
        for field, info in model.model_fields.items():
            kind, exposed = _annotation(info)
            if exposed is None:
                continue
            flow_type = exposed.flow_type or kind
            found.append(
                Parameter(
                    name=exposed.parameter or field,
                    field=field,
                    setting=setting,
                    type=_optional(flow_type) if setting else kind,
                    default=None if setting else info.get_default(call_default_factory=True),
                    help=info.description or "",
                    exposed=exposed,
                )
            )
    return tuple(found)


PARAMETERS: tuple[Parameter, ...] = _declared()
BY_NAME: dict[str, Parameter] = {parameter.name: parameter for parameter in PARAMETERS}


def bind(**values: object) -> dict[str, object]:
    """The flow's parameters, refusing a name the flow does not have (before a run or a submission)."""
    unknown = sorted(set(values) - set(BY_NAME))
    if unknown:
        raise TypeError(f"not parameters of the segmentation flow: {', '.join(unknown)}")
    return dict(values)


def resolve(parameters: Mapping[str, Any]) -> tuple[RunRequest, Settings]:
    """The run request and settings that flow parameters describe (None: the environment decides).

    Raises:
        pydantic.ValidationError: a value the field refuses (the command line words it per option).
    """
    given = bind(**parameters)
    request = RunRequest(
        **{p.field: given[p.name] for p in PARAMETERS if not p.setting and given.get(p.name) is not None}
    )
    settings = make_settings(**{p.field: p.to_field(given.get(p.name)) for p in PARAMETERS if p.setting})
    return request, settings


def parameters_of(settings: Settings, *, only: Iterable[str] | None = None, **request: object) -> dict[str, object]:
    """The flow parameters that reproduce `settings` (every exposed one, or those named in `only`)
    and the request's values.

    What the command line passes: the flow then records the values a run really used, whatever the
    environment of the process that runs it. A deployment's runs get `only` what was given, so the
    deployment's own values stand for the rest."""
    wanted = None if only is None else set(only)
    values = {
        p.name: p.to_parameter(getattr(settings, p.field))
        for p in PARAMETERS
        if p.setting and (wanted is None or p.name in wanted)
    }
    return bind(**values, **request)


def given_parameters(options: Mapping[str, Any]) -> dict[str, object]:
    """The flow parameters among command-line options that were given (None: not given)."""
    return {name: value for name, value in options.items() if name in BY_NAME and value is not None}


def settings_of(options: Mapping[str, Any]) -> Settings:
    """The settings command-line options describe, over the environment (text options parsed by the fields)."""
    given = given_parameters(options)
    return make_settings(**{p.field: p.to_field(_plain(given.get(p.name))) for p in PARAMETERS if p.setting})


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def docstring(summary: str) -> str:
    """A Google-style docstring with one Arg per parameter (Prefect shows them in the UI)."""
    args = "\n".join(f"    {p.name}: {p.help}." for p in PARAMETERS)
    return f"{summary}\n\nArgs:\n{args}\n"


def takes_parameters(summary: str) -> Callable[[F], F]:
    """Give a `def f(**parameters)` the declared parameters as its signature and docstring.

    Prefect builds the flow's parameter schema (and a deployment's UI form) from `inspect.signature`
    and the docstring's Args, and validates calls against the same signature."""

    def decorate(function: F) -> F:
        function.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default, annotation=p.type)
                for p in PARAMETERS
            ],
            return_annotation=inspect.signature(function).return_annotation,
        )
        function.__annotations__ = {p.name: p.type for p in PARAMETERS} | {
            "return": function.__annotations__.get("return")
        }
        function.__doc__ = docstring(summary)
        return function

    return decorate
