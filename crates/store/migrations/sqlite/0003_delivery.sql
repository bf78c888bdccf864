-- Delivery of the outbox: what happened to each notice, the templates its text is made
-- from, and the index the senders claim due rows by. The PostgreSQL file of the same
-- number must stay alike (types differ only).

-- status: pending -> delivered, or -> dead after the last allowed attempt (or a refusal
-- that no retry can change). A dead letter can be put back to pending by an admin.
ALTER TABLE outbox ADD COLUMN last_error TEXT;
ALTER TABLE outbox ADD COLUMN delivered_at INTEGER;
ALTER TABLE outbox ADD COLUMN dead_at INTEGER;

-- Claiming reads the due pending rows oldest first; delivered rows leave the index, so it
-- stays as small as the backlog.
DROP INDEX outbox_pending;
CREATE INDEX outbox_due ON outbox(next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_dead ON outbox(dead_at) WHERE status = 'dead';

-- The text of a notice per kind, channel (sms | webhook | email) and language, with
-- minijinja placeholders ({{ order_no }}, {{ customer_name }}, ...). Admins edit them.
CREATE TABLE notice_templates (
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    lang TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (kind, channel, lang)
);

INSERT INTO notice_templates (kind, channel, lang, body, updated_at, updated_by) VALUES
('order.accepted', 'sms', 'zh-CN', '【国家电网】尊敬的{{ customer_name }}，您反映的问题已受理，工单号{{ order_no }}，我们将尽快处理。如有疑问请致电95598。', 0, 'system'),
('order.replied', 'sms', 'zh-CN', '【国家电网】尊敬的{{ customer_name }}，您的工单{{ order_no }}已处理完毕并答复，感谢您的支持。如有疑问请致电95598。', 0, 'system'),
('order.accepted', 'webhook', 'zh-CN', '工单{{ order_no }}已受理。', 0, 'system'),
('order.replied', 'webhook', 'zh-CN', '工单{{ order_no }}已答复客户。', 0, 'system'),
('order.dispatched', 'webhook', 'zh-CN', '工单{{ order_no }}已派发，请及时处理。', 0, 'system'),
('order.reopened', 'webhook', 'zh-CN', '工单{{ order_no }}回访不满意，已重新派发处理。', 0, 'system'),
('order.closed', 'webhook', 'zh-CN', '工单{{ order_no }}已办结归档。', 0, 'system'),
('clock.warned', 'webhook', 'zh-CN', '工单{{ order_id }}的{{ clock_name }}时限即将到期，请抓紧处理。', 0, 'system'),
('order.escalated', 'webhook', 'zh-CN', '工单{{ order_id }}已超出服务时限，已升级督办。', 0, 'system');
