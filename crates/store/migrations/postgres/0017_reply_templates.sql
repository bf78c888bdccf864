-- Reply templates (canned answers) a handler picks on the order page to start a reply. The
-- body may carry placeholders ({客户姓名}/{customer_name}, {工单号}/{order_no}) that the
-- domain fills in for one order (`reply::fill`). Administrators keep them; every change is a
-- trace event. The SQLite file of the same number must stay alike (types differ only).

CREATE TABLE reply_templates (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,      -- a plain visible line of at most 64 characters
    subject TEXT,                   -- the order's subject code it is offered for; NULL: any subject
    body TEXT NOT NULL,             -- 1 to 2000 characters, line breaks as \n
    active BIGINT NOT NULL DEFAULT 1,
    updated_by BIGINT REFERENCES users(id),
    updated_by_name TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX reply_templates_subject ON reply_templates(subject, active);
