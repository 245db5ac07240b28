"""The browsable documentation page: the OpenAPI document rendered as plain HTML.

Rendered once on the server from :func:`~opensor.lookup.openapi.openapi_document`; it loads
no script, style sheet, font or image from anywhere (inline CSS only), so it works offline and
under a strict Content-Security-Policy.
"""

from __future__ import annotations

from html import escape
from typing import Any

from opensor.lookup.problems import PROBLEM_TYPES

__all__ = ["docs_html"]

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:13px/1.4 ui-monospace,monospace;background:#f4f4f4}
pre{padding:.6rem;overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#fafafa}
.op{border-top:2px solid #246;margin-top:2rem;padding-top:.5rem}
.get{background:#246;color:#fff;padding:.1rem .4rem;border-radius:3px;font-weight:600}
nav li{margin:.1rem 0}
"""


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(f"<code>{escape(str(v))}</code>" for v in schema["enum"])
    kind = schema.get("type", "any")
    text = " | ".join(kind) if isinstance(kind, list) else str(kind)
    if text.startswith("array") and "items" in schema:
        return "array of " + _type(schema["items"])
    extras = [
        f"{key} {schema[key]}"
        for key in ("format", "minimum", "maximum", "maxLength", "pattern")
        if key in schema
    ]
    return escape(text + (f" ({', '.join(str(e) for e in extras)})" if extras else ""))


def _example_url(path: str, parameters: list[dict[str, Any]]) -> str:
    examples = {
        "sorId": "8341000016002",
        "code": "3800",
        "gln": "5790000141227",
        "number": "1",
        "name": "manifest.json",
    }
    for parameter in parameters:
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", examples.get(parameter["name"], "x"))
    query = {
        "/api/v1/units": "?q=koege&level=SI&limit=20",
        "/api/v1/routing": "?sorId=8341000016002&messageType="
        "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r",
        "/api/v1/changes": "?since=0&limit=100",
    }.get(path, "")
    return path + query


def _operation(path: str, operation: dict[str, Any]) -> str:
    parts = [
        f'<section class="op" id="{escape(operation["operationId"])}">',
        f'<h3><span class="get">GET</span> <code>{escape(path)}</code></h3>',
        f"<p><strong>{escape(operation['summary'])}.</strong> "
        f"{escape(operation['description'])}</p>",
    ]
    parameters = operation.get("parameters", [])
    if parameters:
        parts.append(
            "<table><tr><th>parameter</th><th>in</th><th>required</th><th>type</th>"
            "<th>description</th></tr>"
        )
        for parameter in parameters:
            parts.append(
                f"<tr><td><code>{escape(parameter['name'])}</code></td>"
                f"<td>{escape(parameter['in'])}</td>"
                f"<td>{'yes' if parameter.get('required') else 'no'}</td>"
                f"<td>{_type(parameter['schema'])}</td>"
                f"<td>{escape(parameter['description'])}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>No parameters.</p>")
    parts.append("<table><tr><th>status</th><th>response</th><th>body</th></tr>")
    for status, response in operation["responses"].items():
        body = ""
        for media, content in response.get("content", {}).items():
            body += f"<code>{escape(media)}</code>: {_type(content['schema'])}"
        parts.append(
            f"<tr><td>{escape(status)}</td><td>{escape(response['description'])}</td>"
            f"<td>{body}</td></tr>"
        )
    parts.append("</table>")
    url = _example_url(path, parameters)
    parts.append(f"<pre>curl -i 'http://127.0.0.1:8000{escape(url)}'</pre></section>")
    return "\n".join(parts)


def _schema(name: str, schema: dict[str, Any]) -> str:
    parts = [f'<h3 id="schema-{escape(name)}"><code>{escape(name)}</code></h3>']
    if "description" in schema:
        parts.append(f"<p>{escape(schema['description'])}</p>")
    properties = schema.get("properties", {})
    if properties:
        required = set(schema.get("required", []))
        parts.append("<table><tr><th>field</th><th>type</th><th>description</th></tr>")
        for field, spec in properties.items():
            mark = " (required)" if field in required else ""
            parts.append(
                f"<tr><td><code>{escape(field)}</code>{mark}</td><td>{_type(spec)}</td>"
                f"<td>{escape(spec.get('description', ''))}</td></tr>"
            )
        parts.append("</table>")
    elif schema.get("type") == "object":
        parts.append("<p>An object (see the description).</p>")
    return "\n".join(parts)


def docs_html(spec: dict[str, Any]) -> str:
    """The whole documentation page for the OpenAPI document ``spec``."""
    info = spec["info"]
    by_tag: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for path, item in spec["paths"].items():
        operation = item["get"]
        by_tag.setdefault(operation["tags"][0], []).append((path, operation))
    nav = ["<nav><ul>"]
    body = []
    for tag, operations in by_tag.items():
        nav.append(f'<li><a href="#{escape(tag)}">{escape(tag)}</a><ul>')
        body.append(f'<h2 id="{escape(tag)}">{escape(tag)}</h2>')
        for path, operation in operations:
            nav.append(
                f'<li><a href="#{escape(operation["operationId"])}">GET '
                f"<code>{escape(path)}</code></a></li>"
            )
            body.append(_operation(path, operation))
        nav.append("</ul></li>")
    nav.append('<li><a href="#problems">problems</a></li>')
    nav.append('<li><a href="#schemas">schemas</a></li></ul></nav>')
    problems = [
        '<h2 id="problems">Problem types</h2>',
        "<p>Errors are <code>application/problem+json</code> (RFC 9457); <code>type</code> "
        "links here.</p>",
    ]
    for slug, (status, title, text) in PROBLEM_TYPES.items():
        problems.append(
            f'<h3 id="problem-{escape(slug)}">{escape(title)} ({status})</h3>'
            f"<p><code>{escape(slug)}</code>: {escape(text)}</p>"
        )
    schemas = ['<h2 id="schemas">Schemas</h2>']
    for name, schema in spec["components"]["schemas"].items():
        schemas.append(_schema(name, schema))
    description = escape(info["description"]).replace("\n", "<br>")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(info['title'])}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_CSS}</style></head><body>"
        f"<h1>{escape(info['title'])}</h1><p>{description}</p>"
        '<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> '
        f"(OpenAPI {escape(spec['openapi'])}).</p>"
        + "\n".join(nav)
        + "\n".join(body)
        + "\n".join(problems)
        + "\n".join(schemas)
        + "</body></html>"
    )
