//! The OpenAPI document and the docs page, generated from the route table so they cannot
//! drift from what the server enforces. Body shapes are written out here by hand.

use crate::routes::{Access, all};
use serde_json::{Value, json};

fn body_schema(name: &str) -> Value {
    let s = |props: Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required});
    match name {
        "Login" => s(
            json!({"username": {"type": "string"}, "password": {"type": "string"}}),
            &["username", "password"],
        ),
        "PolicyChoice" => s(
            json!({"policy_id": {"type": "string", "examples": ["sgcc", "csg"]}}),
            &["policy_id"],
        ),
        "SensitiveFlag" => s(
            json!({"sensitive": {"type": "boolean"}, "reason": {"type": "string"}}),
            &["sensitive", "reason"],
        ),
        "NewOrder" => s(
            json!({
                "customer_id": {"type": "integer"}, "customer_account_no": {"type": "string"}, "station_code": {"type": "string"},
                "order_type": {"type": "string", "enum": voltdesk_domain::OrderType::ALL.iter().map(|x| x.code()).collect::<Vec<_>>()},
                "service_kind": {"type": "string", "enum": voltdesk_domain::ServiceKind::ALL.iter().map(|x| x.code()).collect::<Vec<_>>()},
                "channel": {"type": "string", "enum": voltdesk_domain::Channel::ALL.iter().map(|x| x.code()).collect::<Vec<_>>()},
                "subject": {"type": "string", "enum": voltdesk_domain::SubjectArea::ALL.iter().map(|x| x.code()).collect::<Vec<_>>()},
                "complaint_class": {"type": "string", "enum": voltdesk_domain::ComplaintClass::ALL.iter().map(|x| x.code()).collect::<Vec<_>>()},
                "severity": {"type": "string", "enum": voltdesk_domain::Severity::ALL.iter().map(|x| x.code()).collect::<Vec<_>>()},
                "title": {"type": "string", "maxLength": 200}, "description": {"type": "string"}, "contact_phone": {"type": "string"},
                "idempotency_key": {"type": "string", "description": "or the Idempotency-Key header"}
            }),
            &["order_type", "channel", "title"],
        ),
        "Dispatch" => s(
            json!({"department_id": {"type": "integer"}, "assignee_id": {"type": "integer"}}),
            &["department_id"],
        ),
        "Merge" => s(json!({"into": {"type": "integer"}}), &["into"]),
        "Reason" => s(json!({"reason": {"type": "string"}}), &["reason"]),
        "Note" => s(json!({"note": {"type": "string"}}), &[]),
        "Acknowledge" => s(
            json!({"assignee_id": {"type": "integer", "description": "defaults to the caller"}}),
            &[],
        ),
        "Reply" => s(
            json!({"text": {"type": "string"},
                   "verdict": {"type": "string", "enum": voltdesk_domain::Verdict::ALL.iter().map(|x| x.code()).collect::<Vec<_>>()},
                   "root_cause": {"type": "string", "enum": voltdesk_domain::RootCause::ALL.iter().map(|x| x.code()).collect::<Vec<_>>()}}),
            &["text"],
        ),
        "CoHandle" => s(
            json!({"department_ids": {"type": "array", "items": {"type": "integer"}}}),
            &["department_ids"],
        ),
        "ReturnVisit" => s(
            json!({"satisfaction": {"type": "string", "enum": voltdesk_domain::Satisfaction::ALL.iter().map(|x| x.code()).collect::<Vec<_>>()}, "comment": {"type": "string"}}),
            &["satisfaction"],
        ),
        "ProblemLink" => s(json!({"problem_id": {"type": "integer"}}), &["problem_id"]),
        "NewProblem" => s(
            json!({"station_id": {"type": "integer"}, "title": {"type": "string"}, "description": {"type": "string"}}),
            &["station_id", "title"],
        ),
        "CloseProblem" => s(json!({"root_cause": {"type": "string"}}), &["root_cause"]),
        "WarningNote" => s(
            json!({"note": {"type": "string"}, "reason": {"type": "string", "description": "required to dismiss"}}),
            &[],
        ),
        "NoticeTemplate" => s(
            json!({"body": {"type": "string", "description": "minijinja template, e.g. 您的工单{{ order_no }}已受理"}, "lang": {"type": "string", "default": "zh-CN"}}),
            &["body"],
        ),
        "RuleSwitch" => s(json!({"enabled": {"type": "boolean"}}), &["enabled"]),
        "CalendarDay" => s(
            json!({"kind": {"type": "string", "enum": ["holiday", "workday"]}, "name": {"type": "string"}}),
            &["kind", "name"],
        ),
        "NewUser" => s(
            json!({"username": {"type": "string"}, "display_name": {"type": "string"},
                   "role": {"type": "string", "enum": voltdesk_domain::Role::ALL.iter().map(|x| x.code()).collect::<Vec<_>>()},
                   "password": {"type": "string", "minLength": 8}, "station_id": {"type": "integer"}, "department_id": {"type": "integer"}}),
            &["username", "role", "password"],
        ),
        "NewToken" => s(
            json!({"username": {"type": "string"}, "name": {"type": "string"},
                   "scopes": {"type": "array", "items": {"type": "string", "enum": voltdesk_domain::auth::Permission::ALL.iter().map(|x| x.code()).collect::<Vec<_>>()}},
                   "ttl_days": {"type": "integer"}}),
            &["username", "name"],
        ),
        other => {
            crate::api_outages::body_schema(other).unwrap_or_else(|| json!({"type": "object"}))
        }
    }
}

pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for r in all() {
        let mut op = json!({
            "summary": r.summary,
            "tags": [r.tag],
            "operationId": format!("{} {}", r.method.to_lowercase(), r.path),
            "responses": {
                "200": {"description": "OK"},
                "4XX": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
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
        if let Some(body) = r.body {
            op["requestBody"] = if body == "CSV" {
                json!({"required": true, "content": {"text/csv": {"schema": {"type": "string"}}}})
            } else {
                json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{body}")}}}})
            };
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.to_lowercase()] = op;
    }
    let mut schemas = serde_json::Map::new();
    for r in all() {
        if let Some(b) = r.body.filter(|b| *b != "CSV") {
            schemas.insert(b.to_string(), body_schema(b));
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
    for r in all() {
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
        let body = match r.body {
            Some("CSV") => "CSV text".to_string(),
            Some(b) => format!(
                "<code>{}</code>",
                esc(&body_schema(b)["properties"]
                    .as_object()
                    .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
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
