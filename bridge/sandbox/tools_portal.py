"""General and knowledge tools: who am I, documentation search, skills."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

from bridge.sandbox.catalog import CatalogError
from bridge.sandbox.tools import Caller, arg, integer, string, tool

# --- general ----------------------------------------------------------------------------------------------


@tool(
    "describe_user_details",
    "Describe the user, which organization they are connected to and which teams they are a member of. "
    "Use it to answer questions such as 'which org am I in?' or 'what are my teams?'.",
)
def describe_user_details(caller: Caller, args: dict[str, Any]) -> Any:
    user = caller.org.users.get(caller.email)
    teams = user.teams if user else []
    team_titles = [caller.org.entities.get("_team", {}).get(t, {}).get("title", t) for t in teams]
    return {
        "email": caller.email,
        "name": f"{user.first_name} {user.last_name}" if user else caller.email,
        "role": "Admin" if caller.role == "builder" else "Member",
        "organization": {"id": caller.org.id, "name": caller.org.name},
        "teams": [{"identifier": t, "title": title} for t, title in zip(teams, team_titles, strict=True)],
    }


# --- knowledge: docs search and skills --------------------------------------------------------------------


@cache
def _doc_sections() -> list[dict[str, str]]:
    sections = []
    for page in sorted(resources.files("bridge.sandbox").joinpath("docs").iterdir(), key=lambda p: p.name):
        if not page.name.endswith(".md"):
            continue
        text = page.read_text(encoding="utf-8")
        title = text.splitlines()[0].lstrip("# ").strip() if text else page.name
        url = next((line[4:].strip() for line in text.splitlines() if line.startswith("URL:")), "")
        for chunk in re.split(r"\n(?=## )", text):
            heading = chunk.splitlines()[0].lstrip("# ").strip()
            sections.append({"title": title, "section": heading, "url": url, "text": chunk.strip()})
    return sections


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9][a-z0-9_\-]+", text.lower())


@tool(
    "search_port_knowledge_sources",
    "Search Port's documentation and knowledge sources and return the most relevant sections with their "
    "links. Use it for how-to questions about Port (blueprints, scorecards, actions, integrations, the MCP "
    "server).",
    {
        "query": string("What to look for"),
        "limit": integer("Number of sections", default=5, minimum=1, maximum=20),
    },
    ("query",),
)
def search_port_knowledge_sources(caller: Caller, args: dict[str, Any]) -> Any:
    terms = set(_words(arg(args, "query")))
    scored = []
    for sec in _doc_sections():
        words = _words(sec["text"])
        score = sum(words.count(t) for t in terms) + 3 * sum(
            t in _words(sec["title"] + " " + sec["section"]) for t in terms
        )
        if score:
            scored.append((score, sec))
    scored.sort(key=lambda pair: -pair[0])
    limit = int(args.get("limit") or 5)
    return {
        "results": [
            {"title": s["title"], "section": s["section"], "url": s["url"], "content": s["text"][:1500]}
            for _, s in scored[:limit]
        ]
    }


def _skills_root() -> Any:
    return resources.files("bridge.sandbox").joinpath("skills")


@tool(
    "load_skill",
    "Load specialized guidance for a domain-specific task (e.g. 'troubleshoot-integration', 'create-scorecard'). "
    "Call without a name to list skills; pass `resource` to load one of a skill's reference files.",
    {
        "name": string("Skill name"),
        "resource": string("Reference file inside the skill, e.g. references/x.md"),
    },
)
def load_skill(caller: Caller, args: dict[str, Any]) -> Any:
    root = _skills_root()
    names = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))
    name = args.get("name")
    if not name:
        return {"skills": names}
    if name not in names:
        raise CatalogError(f"Skill '{name}' does not exist. Available skills: {', '.join(names)}.")
    skill = root.joinpath(name)
    resource = args.get("resource")
    if resource:
        if ".." in resource.split("/"):
            raise CatalogError("resource must be a path inside the skill.")
        target = skill.joinpath(*resource.split("/"))
        if not target.is_file():
            raise CatalogError(f"Skill '{name}' has no resource '{resource}'.")
        return {"skill": name, "resource": resource, "content": target.read_text(encoding="utf-8")}
    refs = skill.joinpath("references")
    available = sorted(f"references/{p.name}" for p in refs.iterdir()) if refs.is_dir() else []
    return {
        "skill": name,
        "content": skill.joinpath("SKILL.md").read_text(encoding="utf-8"),
        "resources": available,
    }
