"""Definition versions: publish, list, show, compare, activate; re-score every lead."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from leadgate.service import versions
from leadgate.service.api.deps import CallerDep, ServiceDep

router = APIRouter(prefix="/v1/definitions", tags=["definitions"])


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: Annotated[str, Field(min_length=1, description="the definition file (YAML or JSON) as text")]
    note: Annotated[str, Field(min_length=1, description="why this version: what changed and who agreed")]
    activate: bool = False


@router.get("", summary="Every published version, the active one marked")
def list_versions(svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    caller.require("read")
    with svc.store.reading() as session:
        found = versions.versions(session, svc.workspace(session, caller))
    return {"versions": [v.as_dict() for v in found]}


@router.post("", status_code=201, summary="Publish a new version (checked completely first)")
def publish(payload: Annotated[PublishIn, Body()], svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    caller.require("publish")
    if payload.activate:
        caller.require("activate")
    with svc.store.transaction() as session:
        workspace = svc.workspace(session, caller)
        version = versions.publish(session, workspace, payload.source, payload.note, caller.name, svc.clock())
        earlier = versions.same_as(session, workspace, version)
        name = workspace.name
    out: dict[str, Any] = {"version": version.as_dict()}
    if earlier is not None:
        out["notes"] = [versions.same_note(version, earlier)]
    if payload.activate:
        activation = versions.activate(svc.store, name, version.number, caller.name, svc.cache, svc.clock)
        out["version"] = activation.version.as_dict()
        out["rescored"] = {"leads": activation.leads, "changed": activation.changed}
    return out


@router.get("/{number}", summary="One version, with its source")
def get_version(number: int, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    caller.require("read")
    with svc.store.reading() as session:
        version, source = versions.show(session, svc.workspace(session, caller), number)
    return {"version": version.as_dict(), "source": source}


@router.get("/{old}/diff/{new}", summary="What changed from one version to another, in words")
def diff(old: int, new: int, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    caller.require("read")
    with svc.store.reading() as session:
        changes = versions.compare(session, svc.workspace(session, caller), svc.cache, old, new)
    return {
        "from": old,
        "to": new,
        "changes": [{"kind": d.kind, "what": d.what, "detail": d.detail, "text": str(d)} for d in changes],
    }


@router.post("/rescore", summary="Re-score every lead with the active version, as of now")
def rescore(svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    """Engagement fades with time, and a lead is re-scored live only when something happens to it: run
    this nightly, say, so that quiet leads' scores fade too. History rows are written for leads whose
    grade or stage moved. A lead re-scored live while this runs keeps its newer score (`newer`)."""
    caller.require("rescore_all_leads")
    with svc.store.reading() as session:
        name = svc.workspace(session, caller).name
    done = versions.rescore_active(svc.store, name, svc.cache, svc.clock)
    return {"rescored": {"leads": done.leads, "changed": done.changed, "newer": done.newer}}


@router.post("/{number}/activate", summary="Make a version active and re-score every lead with it")
def activate(number: int, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    caller.require("activate")
    with svc.store.reading() as session:
        name = svc.workspace(session, caller).name
    activation = versions.activate(svc.store, name, number, caller.name, svc.cache, svc.clock)
    return {
        "version": activation.version.as_dict(),
        "rescored": {"leads": activation.leads, "changed": activation.changed},
    }
