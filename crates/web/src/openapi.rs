//! The OpenAPI document and the docs page, generated from the route table so they cannot
//! drift from what the server enforces. Body schemas come from the Rust types the handlers
//! take and return (`utoipa::ToSchema`).

use crate::routes::{Access, Body, Schemas, entries};
use serde_json::{Value, json};

/// The JSON schema of a documented body, registering the components it refers to.
fn json_schema(body: Body, components: &mut Schemas) -> Option<Value> {
    match body {
        Body::Json(schema) => serde_json::to_value(schema(components)).ok(),
        Body::Csv | Body::Html | Body::Binary => None,
    }
}

fn content(body: Body, components: &mut Schemas) -> Value {
    match body {
        Body::Json(_) => {
            json!({"application/json": {"schema": json_schema(body, components).unwrap_or(json!({}))}})
        }
        Body::Csv => json!({"text/csv": {"schema": {"type": "string"}}}),
        Body::Html => json!({"text/html": {"schema": {"type": "string"}}}),
        Body::Binary => {
            json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})
        }
    }
}

pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    let mut components = Schemas::new();
    for e in entries() {
        let r = &e.route;
        let mut responses = json!({
            "4XX": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        });
        match e.reply {
            Some(reply) => {
                let mut ok = json!({"description": "OK"});
                if let Some(body) = reply.body {
                    ok["content"] = content(body, &mut components);
                }
                responses[reply.status] = ok;
            }
            None => responses["200"] = json!({"description": "OK"}),
        }
        let mut op = json!({
            "summary": r.summary,
            "tags": [r.tag],
            "operationId": format!("{} {}", r.method.to_lowercase(), r.path),
            "responses": responses
        });
        match r.access {
            Access::Public => op["security"] = json!([]),
            Access::SignedIn => op["x-permission"] = json!("signed-in"),
            Access::Needs(p) => op["x-permission"] = json!(p.code()),
        }
        let params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if let Some(body) = e.request {
            op["requestBody"] =
                json!({"required": true, "content": content(body, &mut components)});
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.to_lowercase()] = op;
    }
    let mut schemas = serde_json::Map::new();
    for (name, schema) in components {
        if let Ok(v) = serde_json::to_value(schema) {
            schemas.insert(name, v);
        }
    }
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "properties": {"error": {"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}, "rows": {"type": "array"}}, "required": ["code", "message"]}}}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {"title": "voltdesk API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Customer service platform for electric power utilities. Times are epoch milliseconds (UTC). Errors carry a stable code."},
        "servers": [{"url": "/"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::extract::SESSION_COOKIE}
            }
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A readable page of the API: every route, what it needs, what it takes.
pub fn docs_page() -> String {
    let mut out = String::from(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>voltdesk API 文档</title><style>\
         body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1d2b36}\
         table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dde4ea;padding:6px;text-align:left;vertical-align:top}\
         code{font-size:.92em}.m{font-weight:600;width:4.5em}.GET{color:#0b7a3e}.POST{color:#0b63a8}.PUT{color:#a86a0b}.DELETE{color:#b22}\
         h2{margin-top:2em;border-bottom:2px solid #0b63a8}</style></head><body><h1>voltdesk API <small>/api/v1</small></h1>\
         <p>认证：浏览器会话 Cookie（<code>POST /api/v1/session</code>）或 <code>Authorization: Bearer &lt;token&gt;</code>。\
         时间为 UTC 毫秒时间戳。错误返回 <code>{\"error\":{\"code\",\"message\",\"field\"}}</code>。\
         机器可读版本：<a href=\"/api/v1/openapi.json\">openapi.json</a>。</p>",
    );
    let mut tag = "";
    for e in entries() {
        let r = &e.route;
        if r.tag != tag {
            if !tag.is_empty() {
                out.push_str("</table>");
            }
            tag = r.tag;
            out.push_str(&format!("<h2>{}</h2><table><tr><th>method</th><th>path</th><th>permission</th><th>summary</th><th>body</th></tr>", esc(tag)));
        }
        let perm = match r.access {
            Access::Public => "public".to_string(),
            Access::SignedIn => "signed in".to_string(),
            Access::Needs(p) => p.code().to_string(),
        };
        let body = match e.request {
            Some(Body::Csv) => "CSV text".to_string(),
            Some(Body::Binary) => "the file's bytes".to_string(),
            Some(b) => format!(
                "<code>{}</code>",
                esc(&json_schema(b, &mut Schemas::new())
                    .and_then(|s| {
                        s["properties"]
                            .as_object()
                            .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
                    })
                    .unwrap_or_default())
            ),
            None => String::new(),
        };
        out.push_str(&format!(
            "<tr><td class=\"m {m}\">{m}</td><td><code>{p}</code></td><td><code>{perm}</code></td><td>{s}</td><td>{body}</td></tr>",
            m = r.method,
            p = esc(r.path),
            s = esc(r.summary)
        ));
    }
    out.push_str("</table></body></html>");
    out
}
