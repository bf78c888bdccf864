//! The pages' words in Chinese (the default) and English. One table: a key, its Chinese, its
//! English. A test checks that every key the templates use is here.

use chrono::TimeZone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// The translator a page renders with.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

/// Anything with a Chinese label and an English one (the domain's closed sets).
pub trait Label {
    fn zh_label(&self) -> &'static str;
    fn en_label(&self) -> String;
}

impl<T: Label> Label for &T {
    fn zh_label(&self) -> &'static str {
        (*self).zh_label()
    }
    fn en_label(&self) -> String {
        (*self).en_label()
    }
}

/// An instant in milliseconds, by value or by reference (templates pass references).
pub trait Ms {
    fn ms(&self) -> i64;
}
impl Ms for i64 {
    fn ms(&self) -> i64 {
        *self
    }
}
impl<T: Ms> Ms for &T {
    fn ms(&self) -> i64 {
        (*self).ms()
    }
}

/// An optional instant, by value or by reference.
pub trait OptMs {
    fn opt_ms(&self) -> Option<i64>;
}
impl OptMs for Option<i64> {
    fn opt_ms(&self) -> Option<i64> {
        *self
    }
}
impl<T: OptMs> OptMs for &T {
    fn opt_ms(&self) -> Option<i64> {
        (*self).opt_ms()
    }
}

macro_rules! labels {
    ($($t:ty),+) => {$(
        impl Label for $t {
            fn zh_label(&self) -> &'static str { self.zh() }
            fn en_label(&self) -> String { self.en() }
        }
    )+};
}
use voltdesk_domain::*;
labels!(
    Channel,
    OrderType,
    ServiceKind,
    ComplaintClass,
    SubjectArea,
    Severity,
    OrderStatus,
    Role,
    RegionClass,
    UsageClass,
    PaymentMethod,
    Segment,
    CareGroup,
    DepartmentKind,
    ClockKind,
    Satisfaction,
    Verdict,
    RootCause,
    RuleKind,
    WarningStatus,
    CallOutcome,
    CallbackStatus,
    NotReadyReason
);

/// An agent's state and a call's stage read better in English than their codes in words.
impl Label for AgentState {
    fn zh_label(&self) -> &'static str {
        self.zh()
    }
    fn en_label(&self) -> String {
        match self {
            AgentState::LoggedOut => "Logged out",
            AgentState::Ready => "Ready",
            AgentState::NotReady => "Not ready",
            AgentState::Offered => "Ringing",
            AgentState::Talking => "Talking",
            AgentState::WrapUp => "Wrap-up",
        }
        .to_string()
    }
}

impl Label for CallStage {
    fn zh_label(&self) -> &'static str {
        self.zh()
    }
    fn en_label(&self) -> String {
        match self {
            CallStage::Ivr => "Voice menu",
            CallStage::Queued => "Waiting",
            CallStage::Ringing => "Ringing",
            CallStage::Talking => "Talking",
            CallStage::WrapUp => "Wrap-up",
        }
        .to_string()
    }
}

fn lbl_or<L: Label>(tr: &Tr, r: Result<L, UnknownCode>, code: &str) -> String {
    r.map(|l| tr.label(l)).unwrap_or_else(|_| code.to_string())
}

impl Tr {
    pub fn t(&self, key: &str) -> &'static str {
        match MESSAGES.binary_search_by(|(k, _, _)| (*k).cmp(key)) {
            Ok(i) => match self.lang {
                Lang::Zh => MESSAGES[i].1,
                Lang::En => MESSAGES[i].2,
            },
            Err(_) => "??",
        }
    }

    /// The words of `key`, if the table has it.
    pub fn lookup(&self, key: &str) -> Option<&'static str> {
        MESSAGES
            .binary_search_by(|(k, _, _)| (*k).cmp(key))
            .ok()
            .map(|i| match self.lang {
                Lang::Zh => MESSAGES[i].1,
                Lang::En => MESSAGES[i].2,
            })
    }

    /// What a person reads for an error: keyed by its stable code and, where it concerns
    /// one input, the field (`err.invalid_field.title`, else `err.invalid_field` naming the
    /// field in words). A code the table does not know reads as the generic mistake.
    pub fn error(&self, code: &str, field: Option<&str>) -> String {
        let specific = field.and_then(|f| self.lookup(&format!("err.{code}.{f}")));
        let text = specific
            .or_else(|| self.lookup(&format!("err.{code}")))
            .unwrap_or_else(|| self.t("err.invalid"));
        let name = field
            .and_then(|f| self.lookup(&format!("field.{f}")))
            .unwrap_or_else(|| self.t("field.text"));
        text.replace("{field}", name)
    }

    pub fn label<L: Label>(&self, l: L) -> String {
        match self.lang {
            Lang::Zh => l.zh_label().to_string(),
            Lang::En => l.en_label(),
        }
    }

    /// A generated text (a warning's title, an escalation's reason) in the reader's
    /// language: the stored Chinese, or in English the words its data names
    /// (`warning::with_words`: `wt.<key>` with `{param}`s; a clock or a subject area in
    /// words). Without data, or a key the table lacks, the stored text.
    pub fn words(&self, stored: &str, words: Option<&serde_json::Value>) -> String {
        if self.lang == Lang::Zh {
            return stored.to_string();
        }
        let Some(w) = words else {
            return stored.to_string();
        };
        let Some(template) = w
            .get("key")
            .and_then(|k| k.as_str())
            .and_then(|k| self.lookup(&format!("wt.{k}")))
        else {
            return stored.to_string();
        };
        let mut out = template.to_string();
        if let Some(params) = w.as_object() {
            for (name, v) in params {
                let text = match (name.as_str(), v.as_str()) {
                    ("clock", Some(c)) => lbl_or(self, ClockKind::parse(c), c),
                    ("subject", Some(c)) => lbl_or(self, SubjectArea::parse(c), c),
                    (_, Some(t)) => t.to_string(),
                    _ => v.to_string(),
                };
                out = out.replace(&format!("{{{name}}}"), &text);
            }
        }
        out
    }

    /// A code of a closed set as a label (the dashboard's series), or the code itself.
    pub fn code_label(&self, kind: &str, code: &str) -> String {
        fn lbl<L: Label>(tr: &Tr, r: Result<L, UnknownCode>, code: &str) -> String {
            r.map(|l| tr.label(l)).unwrap_or_else(|_| code.to_string())
        }
        match kind {
            "type" => lbl(self, OrderType::parse(code), code),
            "channel" => lbl(self, Channel::parse(code), code),
            "class" => lbl(self, ComplaintClass::parse(code), code),
            "rule" => lbl(self, RuleKind::parse(code), code),
            "warning_status" => lbl(self, WarningStatus::parse(code), code),
            _ => code.to_string(),
        }
    }

    /// Local date and time, `2026-11-24 14:05`.
    /// A limit in the policy's notation (`4wd`, `24h`) in words (`4个工作日`, `24 hours`);
    /// a text that is not a limit is shown as it is.
    pub fn limit(&self, text: &str) -> String {
        match voltdesk_domain::policy::Limit::parse(text) {
            Ok(l) => match self.lang {
                Lang::Zh => l.zh(),
                Lang::En => l.en(),
            },
            Err(_) => text.to_string(),
        }
    }

    pub fn time(&self, at: impl Ms) -> String {
        chrono_tz::Asia::Shanghai
            .timestamp_millis_opt(at.ms())
            .single()
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    }

    pub fn opt_time(&self, at: impl OptMs) -> String {
        at.opt_ms().map(|t| self.time(t)).unwrap_or_default()
    }

    /// A duration in words, `2小时15分` / `2 h 15 min`.
    pub fn span(&self, ms: impl Ms) -> String {
        let m = (ms.ms().abs() + 59_999) / 60_000;
        let (d, h, mi) = (m / 1440, m % 1440 / 60, m % 60);
        match self.lang {
            Lang::Zh => match (d, h) {
                (0, 0) => format!("{mi}分"),
                (0, _) => format!("{h}小时{mi}分"),
                _ => format!("{d}天{h}小时"),
            },
            Lang::En => match (d, h) {
                (0, 0) => format!("{mi} min"),
                (0, _) => format!("{h} h {mi} min"),
                _ => format!("{d} d {h} h"),
            },
        }
    }

    /// A number with one decimal.
    pub fn one(&self, x: impl std::borrow::Borrow<f64>) -> String {
        format!("{:.1}", x.borrow())
    }

    /// Money in fen as yuan.
    pub fn yuan(&self, fen: impl Ms) -> String {
        let fen = fen.ms();
        format!("{}.{:02}", fen / 100, (fen % 100).abs())
    }
}

/// (key, 中文, English), sorted by key.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("account_no", "户号", "Account"),
    ("act.acknowledge", "接单", "Acknowledge"),
    ("act.arrive", "到达现场", "Arrived on site"),
    ("act.cancel", "撤销", "Cancel"),
    ("act.close", "归档", "Close"),
    ("act.co_handle", "协办", "Add co-handler"),
    ("act.contact", "联系客户", "Contact customer"),
    ("act.dispatch", "派单", "Dispatch"),
    ("act.merge", "合并", "Merge"),
    ("act.note", "写内部备注", "Add an internal note"),
    ("act.pause", "暂停计时", "Pause clocks"),
    ("act.reopen", "重新处理", "Reopen"),
    ("act.reply", "回单", "Reply"),
    ("act.resume", "恢复计时", "Resume clocks"),
    ("act.return_to_sender", "退单", "Return to sender"),
    ("act.return_visit", "回访", "Return visit"),
    ("act.transfer", "转派", "Transfer"),
    ("act.urge", "催办", "Urge"),
    ("actions", "操作", "Actions"),
    ("address", "地址", "Address"),
    ("admin", "系统管理", "Administration"),
    ("all", "全部", "All"),
    ("apply", "应用", "Apply"),
    ("area", "台区", "Transformer area"),
    ("arrears", "欠费", "Arrears"),
    ("assignee", "处理人", "Assignee"),
    ("attach.add", "上传", "Upload"),
    ("attach.busy", "正在上传…", "Uploading…"),
    ("attach.failed", "上传失败", "The upload failed"),
    ("attach.file", "选择文件", "File"),
    (
        "attach.hint",
        "可上传图片（JPEG、PNG、GIF、WEBP）、PDF 或文本文件，单个文件不超过",
        "Images (JPEG, PNG, GIF, WebP), PDF or plain text; each file at most",
    ),
    ("attach.open", "打开", "Open"),
    ("attachments", "附件", "Attachments"),
    ("audit", "审计日志", "Audit log"),
    ("audit.actor", "操作人", "By"),
    ("audit.at", "时间", "Time"),
    ("audit.kind", "事件", "Event"),
    ("audit.system", "系统", "System"),
    ("board", "督办看板", "Supervisor board"),
    ("board.live", "实时更新", "Live"),
    (
        "board.offline",
        "连接中断，正在重连",
        "Disconnected, reconnecting",
    ),
    ("bulk.apply", "对所选工单执行", "Apply to selected"),
    ("bulk.none", "请先勾选工单", "Select orders first"),
    ("calendar", "节假日日历", "Holiday calendar"),
    ("calendar.note", "备注", "Note"),
    ("calendar.off", "休息日", "Day off"),
    ("calendar.working", "工作日", "Working day"),
    ("call.agent", "坐席", "Agent"),
    ("call.caller", "主叫号码", "Caller"),
    ("call.dialled", "被叫号码", "Dialled"),
    ("call.for", "持续", "For"),
    ("call.order_ids", "工单ID", "Order ids"),
    ("call.outcome", "结果", "Outcome"),
    ("call.queue", "队列", "Queue"),
    ("call.stage", "阶段", "Stage"),
    ("call.started", "开始时间", "Started"),
    ("call.survey", "满意度评价", "Survey"),
    ("call.talk", "通话", "Talk"),
    ("call.talk_s", "通话（秒）", "Talk (s)"),
    ("call.wait", "等待", "Wait"),
    ("call.wait_s", "等待（秒）", "Wait (s)"),
    ("call.wrap_up_s", "话后整理（秒）", "Wrap-up (s)"),
    ("calls", "话务", "Calls"),
    ("calls.agents", "坐席状态", "Agents"),
    ("calls.live", "当前通话", "Calls in progress"),
    ("calls.records", "通话记录", "Call records"),
    (
        "calls.sip_off",
        "话务系统未运行：暂无来电接入，坐席状态不能切换",
        "The contact centre is not running: no calls come in and agents cannot change state",
    ),
    ("care", "关爱服务", "Care"),
    ("care_groups", "特殊关爱", "Care groups"),
    ("channel", "渠道", "Channel"),
    ("chart.by_channel", "各渠道受理量", "Orders by channel"),
    ("chart.by_class", "投诉分类", "Complaints by class"),
    (
        "chart.by_type",
        "各类型工单量（按日）",
        "Orders by type (daily)",
    ),
    (
        "chart.compliance",
        "时限达标率与满意率",
        "On-time and satisfaction rates",
    ),
    (
        "chart.top_areas",
        "投诉最多的台区",
        "Areas with most complaints",
    ),
    ("clock.met", "已达标", "met"),
    ("clock.paused", "已暂停", "paused"),
    ("clock.running", "计时中", "running"),
    ("clock.stopped", "已停止", "stopped"),
    ("clocks", "服务时限", "Service deadlines"),
    ("closed", "已办结", "Closed"),
    ("co_handling", "协办部门", "Co-handling"),
    ("colon", "：", ": "),
    ("comment", "说明", "Comment"),
    ("complaint_class", "投诉分类", "Complaint class"),
    ("complaints", "投诉", "Complaints"),
    (
        "complaints_per_10k",
        "万户投诉率",
        "Complaints per 10,000 customers",
    ),
    ("created", "受理时间", "Created"),
    ("customer", "客户", "Customer"),
    ("customers", "客户数", "Customers"),
    ("dashboard", "分析看板", "Dashboard"),
    (
        "dashboard.partial",
        "尚未结算：截至此刻的数据计入合计与柱图，日线止于上一完整日",
        "not settled yet: the day so far counts in the totals and bars; the daily lines end at the last full day",
    ),
    ("dashboard.settled", "已结算至", "Settled through"),
    ("date", "日期", "Date"),
    (
        "deadline.preview",
        "保存后将适用的服务时限",
        "Deadlines this order will get",
    ),
    ("department", "部门", "Department"),
    ("description", "诉求内容", "Description"),
    ("desk", "受理台", "Agent desk"),
    (
        "desk.hint",
        "输入电话（可部分）、户号、姓名或地址，边输边查",
        "Type a phone number (or part), account, name or address",
    ),
    ("desk.no_match", "没有匹配的客户", "No matching customer"),
    (
        "desk.shortcuts",
        "快捷键：/ 搜索，n 新建工单，Esc 返回",
        "Shortcuts: / search, n new order, Esc back",
    ),
    ("display_name", "姓名", "Name"),
    ("due", "到期", "Due"),
    (
        "duplicate.hint",
        "该客户已有同一诉求的在办工单：",
        "This customer already has an open order on this subject:",
    ),
    ("empty.agents", "暂无坐席", "No agents"),
    ("empty.attachments", "暂无附件", "No attachments yet"),
    (
        "empty.board",
        "暂无需要督办的工单",
        "Nothing needs supervising right now",
    ),
    (
        "empty.calls",
        "没有符合条件的通话记录",
        "No call records match these filters",
    ),
    ("empty.import_jobs", "暂无导入记录", "No imports yet"),
    ("empty.live_calls", "当前没有通话", "No calls right now"),
    ("empty.notifications", "暂无通知", "No notifications"),
    ("empty.orders", "暂无工单", "No orders"),
    (
        "empty.problem_orders",
        "暂无关联工单",
        "No orders grouped under it yet",
    ),
    ("empty.problems", "暂无问题", "No problems"),
    (
        "empty.queue",
        "队列已清空，没有待办工单",
        "Your queue is empty",
    ),
    ("empty.queues", "暂无队列", "No queues"),
    ("empty.templates", "暂无回复模板", "No reply templates yet"),
    ("empty.trace", "暂无服务记录", "No contacts yet"),
    ("empty.visits", "暂无待回访工单", "No return visits waiting"),
    ("empty.warnings", "暂无预警", "No warnings"),
    (
        "err.account_locked",
        "账号已锁定，请联系管理员解锁",
        "The account is locked; ask an administrator to unlock it",
    ),
    (
        "err.agent_on_call",
        "振铃或通话中，暂不能切换状态",
        "Not while a call is ringing or in progress",
    ),
    (
        "err.agent_state_refused",
        "话务系统拒绝了这次状态切换",
        "The contact centre refused the change",
    ),
    (
        "err.attachment_corrupt",
        "附件文件已损坏或丢失，请联系管理员",
        "The attachment's stored file is damaged or missing; tell an administrator",
    ),
    (
        "err.callback_not_open",
        "该回拨已完成或已取消",
        "This callback is already done or cancelled",
    ),
    ("err.conflict", "“{field}”已存在", "{field} already exists"),
    (
        "err.cross_site_request",
        "来自其他网站的请求，已拒绝",
        "A request from another site was refused",
    ),
    (
        "err.forbidden",
        "您的角色不能执行此操作",
        "Your role may not do this",
    ),
    (
        "err.import_invalid_rows",
        "导入被拒绝，请按提示修改文件",
        "The import was refused; correct the file as listed",
    ),
    (
        "err.internal",
        "服务器出错，请稍后重试",
        "Something went wrong on our side; try again later",
    ),
    ("err.invalid", "提交的内容有误", "The form has a mistake"),
    ("err.invalid_field", "请检查“{field}”", "Check {field}"),
    (
        "err.invalid_field.channel",
        "请选择受理渠道",
        "Choose a channel",
    ),
    (
        "err.invalid_field.contact_phone",
        "联系电话格式不正确",
        "The contact phone is not a valid number",
    ),
    (
        "err.invalid_field.department_id",
        "部门须属于该用户所在的供电所",
        "The department must belong to the user's station",
    ),
    (
        "err.invalid_field.description",
        "诉求内容最多10000字",
        "The description is at most 10,000 characters",
    ),
    (
        "err.invalid_field.display_name",
        "姓名须为1至64个可见字符",
        "The name must be 1 to 64 visible characters",
    ),
    (
        "err.invalid_field.filter_name",
        "筛选名称须为1至40个可见字符，且不能换行",
        "The filter name must be 1 to 40 visible characters on one line",
    ),
    (
        "err.invalid_field.filter_query",
        "筛选条件过长，无法保存",
        "These filters are too long to save",
    ),
    (
        "err.invalid_field.from",
        "起止日期有误：起日期不能晚于止日期，范围最多800天",
        "Check the dates: the start may not be after the end, at most 800 days",
    ),
    (
        "err.invalid_field.grids",
        "仅网格客户经理可管理网格，且网格须属于其所在供电所",
        "Only a grid manager manages grids, and only grids of their station",
    ),
    (
        "err.invalid_field.into",
        "没有这个在办工单，请检查工单号",
        "No open order has this number",
    ),
    (
        "err.invalid_field.new_password",
        "新密码至少 8 个字符，不能含用户名，也不能是常见密码（如 12345678、password）",
        "The new password needs at least 8 characters, must not contain the user name and must not be a common one (such as 12345678 or password)",
    ),
    (
        "err.invalid_field.order_type",
        "请选择工单类型",
        "Choose an order type",
    ),
    (
        "err.invalid_field.password",
        "密码至少 8 个字符，不能含用户名，也不能是常见密码（如 12345678、password）",
        "A password needs at least 8 characters, must not contain the user name and must not be a common one (such as 12345678 or password)",
    ),
    (
        "err.invalid_field.service_kind",
        "服务申请须选择服务类别，其他类型不选",
        "A service request needs a service kind; other types take none",
    ),
    (
        "err.invalid_field.sip_password",
        "SIP密码须为8至128个字符",
        "A SIP password is 8 to 128 characters",
    ),
    (
        "err.invalid_field.template_body",
        "模板内容须为1至2000个字",
        "The text must be 1 to 2000 characters",
    ),
    (
        "err.invalid_field.template_name",
        "模板名称须为1至64个可见字符，且不能换行",
        "The name must be 1 to 64 visible characters on one line",
    ),
    (
        "err.invalid_field.template_subject",
        "请选择诉求分类",
        "Choose a subject",
    ),
    (
        "err.invalid_field.title",
        "标题须为1至200个字",
        "The title is 1 to 200 characters",
    ),
    (
        "err.invalid_field.uri",
        "话机地址应为SIP地址：号码@主机[:端口]",
        "A desk phone's address is a SIP address: sip:user@host[:port]",
    ),
    (
        "err.invalid_json",
        "提交的内容格式有误",
        "The request is not in the expected form",
    ),
    (
        "err.invalid_query",
        "查询条件“{field}”有误",
        "Check the filter {field}",
    ),
    (
        "err.last_admin",
        "须至少保留一个启用的管理员",
        "At least one active administrator must remain",
    ),
    (
        "err.login_throttled",
        "登录失败次数过多，请稍后再试",
        "Too many failed sign-ins; try again in a moment",
    ),
    (
        "err.merge_into_self",
        "工单不能合并到自身",
        "An order cannot be merged into itself",
    ),
    ("err.missing_field", "请填写“{field}”", "Fill in {field}"),
    ("err.not_found", "未找到该记录", "Not found"),
    (
        "err.payload_too_large",
        "提交的内容过大",
        "What was sent is too large",
    ),
    (
        "err.payload_too_large.body",
        "文件超过大小上限",
        "The file is larger than the limit",
    ),
    (
        "err.phone_not_registered",
        "话机未登录：请先登录软电话，或请管理员设置固定话机",
        "The phone is not registered: sign in the softphone, or ask for a desk phone",
    ),
    (
        "err.return_visit_required",
        "归档前须先完成回访",
        "Record a return visit before closing",
    ),
    (
        "err.saved_filters_full",
        "最多保存20个筛选：请先删除一个，或用已有的名称保存以覆盖",
        "At most 20 saved filters: delete one, or save under a name already used to replace it",
    ),
    (
        "err.self_demote",
        "不能取消自己的管理员角色",
        "You cannot take away your own administrator role",
    ),
    (
        "err.self_disable",
        "不能停用自己的账号",
        "You cannot disable your own account",
    ),
    (
        "err.sip_off",
        "话务系统未运行，暂不能切换坐席状态",
        "The contact centre is not running; the state cannot change now",
    ),
    ("err.title", "操作未完成", "Not done"),
    (
        "err.transition_not_allowed",
        "工单当前状态不允许此操作",
        "The order's status does not allow this",
    ),
    (
        "err.transition_repair_only",
        "此操作仅适用于故障报修工单",
        "This applies to repair orders only",
    ),
    ("err.unauthorized", "请先登录", "Sign in first"),
    (
        "err.unavailable",
        "服务暂不可用，请稍后重试",
        "Not available right now; try again later",
    ),
    (
        "err.unsupported_attachment",
        "只能上传图片（JPEG、PNG、GIF、WEBP）、PDF 或 UTF-8 文本文件",
        "Only JPEG, PNG, GIF or WebP images, PDF documents or UTF-8 text files may be attached",
    ),
    (
        "err.unsupported_media_type",
        "提交的格式不受支持",
        "This kind of content is not accepted",
    ),
    ("escalated", "已升级", "Escalated"),
    ("escalation.ack", "确认", "Acknowledge"),
    (
        "escalation.ack_selected",
        "确认所选",
        "Acknowledge selected",
    ),
    ("escalation.acked_n", "已确认", "Acknowledged:"),
    ("escalation.skipped_n", "已由他人处理", "already handled:"),
    ("escalations", "升级告警", "Escalations"),
    ("export.csv", "导出 CSV", "Export CSV"),
    ("export.xlsx", "导出 Excel", "Export Excel"),
    ("field.assignee_id", "处理人", "the assignee"),
    ("field.channel", "受理渠道", "the channel"),
    ("field.comment", "回访意见", "the comment"),
    ("field.complaint_class", "投诉分类", "the complaint class"),
    ("field.contact_phone", "联系电话", "the contact phone"),
    ("field.department_id", "部门", "the department"),
    ("field.description", "诉求内容", "the description"),
    ("field.display_name", "姓名", "the name"),
    ("field.filter_name", "筛选名称", "the filter name"),
    ("field.from", "起止日期", "the dates"),
    ("field.grids", "管理网格", "the managed grids"),
    ("field.into", "合并到", "the order to merge into"),
    ("field.note", "说明", "the note"),
    ("field.order_type", "工单类型", "the order type"),
    ("field.problem_id", "问题", "the problem"),
    ("field.reason", "原因", "the reason"),
    ("field.role", "角色", "the role"),
    ("field.root_cause", "原因分析", "the root cause"),
    ("field.satisfaction", "满意度", "the satisfaction"),
    ("field.service_kind", "服务类别", "the service kind"),
    ("field.sip_password", "SIP密码", "the SIP password"),
    ("field.state", "状态", "the state"),
    ("field.station_id", "供电所", "the station"),
    ("field.subject", "诉求分类", "the subject"),
    ("field.template_body", "模板内容", "the text"),
    ("field.template_name", "模板名称", "the name"),
    ("field.template_subject", "适用诉求分类", "the subject"),
    ("field.text", "说明", "the text"),
    ("field.title", "标题", "the title"),
    ("field.uri", "话机地址", "the phone's address"),
    ("field.user_id", "用户", "the user"),
    ("field.verdict", "是否属实", "the verdict"),
    ("filter", "筛选", "Filter"),
    ("filters.delete", "删除", "Delete"),
    ("filters.deleted", "已删除筛选", "Filter deleted"),
    ("filters.name", "筛选名称", "Filter name"),
    (
        "filters.name.hint",
        "如：我的超时投诉",
        "e.g. my overdue complaints",
    ),
    ("filters.none", "暂无", "none yet"),
    ("filters.save", "保存当前筛选", "Save these filters"),
    ("filters.saved", "已保存的筛选：", "Saved filters:"),
    ("filters.saved_ok", "已保存筛选", "Filter saved"),
    ("from", "起", "From"),
    ("grid", "网格", "Grid"),
    ("handling", "当前处理", "Handled by"),
    ("home", "首页", "Home"),
    ("import", "CSV 导入", "CSV import"),
    ("import.at", "时间", "When"),
    ("import.by", "导入人", "By"),
    ("import.customers", "客户档案", "Customers"),
    ("import.done", "导入完成", "Import finished"),
    ("import.errors", "错误", "Errors"),
    (
        "import.failed",
        "导入失败，数据未改动",
        "Import failed; nothing was changed",
    ),
    ("import.jobs", "导入记录", "Import jobs"),
    ("import.kind", "类型", "Kind"),
    ("import.org", "组织机构", "Organisation"),
    ("import.outages", "停电信息", "Outages"),
    ("import.progress", "进度", "Progress"),
    ("import.start", "上传并导入", "Upload and import"),
    ("import.uploading", "上传中", "Uploading"),
    ("import.voltage", "电压监测数据", "Voltage readings"),
    ("job.done", "已完成", "Done"),
    ("job.failed", "失败", "Failed"),
    ("job.queued", "排队中", "Queued"),
    (
        "job.reason.abandoned",
        "服务器中途停止，数据未改动",
        "The server stopped during the import; nothing was changed",
    ),
    (
        "job.reason.invalid_encoding",
        "文件不是 UTF-8 或 GBK 文本",
        "The file is neither UTF-8 nor GBK text",
    ),
    (
        "job.reason.invalid_header",
        "表头无法识别",
        "The header is not usable",
    ),
    (
        "job.reason.invalid_rows",
        "文件中有无效行",
        "The file has invalid rows",
    ),
    (
        "job.reason.other",
        "内部错误，详见服务器日志",
        "Internal error; the server log has the cause",
    ),
    ("job.running", "导入中", "Running"),
    ("lang.switch", "English", "中文"),
    ("late", "超时", "late"),
    ("left", "剩余", "left"),
    ("list.bad", "筛选条件无法识别", "A filter could not be read"),
    (
        "list.empty",
        "没有符合筛选条件的工单",
        "No orders match these filters",
    ),
    (
        "list.number",
        "工单编号（完整或开头）",
        "Order number (whole or begun)",
    ),
    ("list.per_page", "每页条数", "Per page"),
    (
        "list.phrase",
        "标题或内容中的词",
        "Words in the title or text",
    ),
    ("list.reset", "清除筛选", "Clear filters"),
    ("list.sort", "排序", "Sort"),
    ("login", "登录", "Sign in"),
    (
        "login.failed",
        "用户名或密码错误",
        "Wrong username or password",
    ),
    (
        "login.locked",
        "账号已锁定，请联系管理员解锁",
        "The account is locked; ask an administrator to unlock it",
    ),
    (
        "login.throttled",
        "登录失败次数过多，请稍后再试",
        "Too many failed sign-ins; try again in a moment",
    ),
    ("logout", "退出", "Sign out"),
    (
        "merge.hint",
        "输入工单号，或从该客户的其他在办工单中选择",
        "Type an order number, or pick one of the customer's other open orders",
    ),
    ("merge.into", "合并到工单号", "Merge into order"),
    ("mine", "我的", "Mine"),
    ("near_due", "临近超时", "Near due"),
    ("new_order", "新建工单", "New order"),
    ("next", "下一页", "Next"),
    ("no_grid", "无网格", "No grid"),
    ("note", "备注", "Note"),
    (
        "note.hint",
        "内部备注仅工作人员可见，不会发送给客户",
        "Internal notes are for staff only and are never sent to the customer",
    ),
    ("note.internal", "内部备注", "Internal note"),
    ("note.text", "备注内容", "Note"),
    (
        "notfound.body",
        "您要找的页面或工单不存在，可能是地址有误或已被删除。",
        "The page or order you are looking for does not exist: the address may be wrong.",
    ),
    ("notfound.home", "返回首页", "Back to the home page"),
    ("notfound.title", "页面不存在", "Page not found"),
    ("notify.about", "内容", "About"),
    ("notify.assigned", "派给你的工单", "Assigned to you"),
    ("notify.deadline_near", "时限将至", "Deadline near"),
    ("notify.mark_read", "标为已读", "Mark read"),
    ("notify.marked_read", "已标为已读", "Marked read"),
    ("notify.read", "已读", "Read"),
    ("notify.read_all", "全部标为已读", "Mark all read"),
    ("notify.time", "时间", "Time"),
    ("notify.title", "通知", "Notifications"),
    ("notify.unread", "未读", "Unread"),
    ("notify.urged", "工单被催办", "Order urged"),
    ("notify.urged_times", "第{n}次催办", "urged {n} times"),
    ("notify.warning", "给你的预警", "Warning for you"),
    ("notify.what", "通知", "Notification"),
    ("on_time", "时限达标率", "On time"),
    ("open_orders", "在办工单", "Open orders"),
    ("order", "工单", "Order"),
    ("order_no", "工单号", "Order no."),
    ("order_type", "工单类型", "Type"),
    ("orders", "工单", "Orders"),
    ("orders.list", "工单查询", "Find orders"),
    ("outages", "停电记录", "Outages"),
    ("overdue", "已超时", "Overdue"),
    ("page", "页", "Page"),
    ("password", "密码", "Password"),
    ("payment_method", "缴费方式", "Payment"),
    ("phone", "电话", "Phone"),
    ("phone.desk", "固定话机地址", "Desk phone address"),
    (
        "phone.hint",
        "坐席的软电话以用户名和这里设置的SIP密码登录；没有登录软电话时，来电转到这里设置的固定话机。",
        "The agent's softphone registers with the username and the SIP password set here; without a registered softphone, calls ring the desk phone set here.",
    ),
    ("phone.label", "话机", "Phone"),
    ("phone.log_out", "签出", "Log out"),
    ("phone.not_ready", "小休", "Break"),
    ("phone.ready", "就绪", "Ready"),
    ("phone.registered", "已登录", "Registered"),
    ("phone.saved", "话机已保存", "Phone saved"),
    ("phone.sip.none", "尚未设置SIP密码", "No SIP password yet"),
    ("phone.sip.save", "设置SIP密码", "Set the SIP password"),
    ("phone.sip.saved", "SIP密码已设置", "SIP password set"),
    ("phone.sip.set", "已设置SIP密码", "A SIP password is set"),
    ("phone.sip_password", "新SIP密码", "New SIP password"),
    ("phone.state", "话机状态", "Phone state"),
    ("phone.title", "话机与SIP账号", "Phone and SIP account"),
    ("phone.unregistered", "未登录", "Not registered"),
    ("policy", "服务承诺标准", "Service policy"),
    ("policy.current", "当前标准", "Current policy"),
    ("prev", "上一页", "Previous"),
    ("problem", "关联问题", "Problem"),
    ("problem.close", "关闭问题", "Close the problem"),
    (
        "problem.close_hint",
        "填写根本原因后关闭；关联工单各自继续处理。",
        "Give the root cause; each order goes on being handled on its own.",
    ),
    ("problem.closed_at", "关闭时间", "Closed at"),
    ("problem.closed_done", "问题已关闭", "Problem closed"),
    ("problem.group", "归并到问题", "Group under a problem"),
    (
        "problem.group_hint",
        "选择本所未关闭的问题，或填写标题新建一个。",
        "Choose an open problem of the station, or give a title to open a new one.",
    ),
    (
        "problem.grouped_done",
        "已归并到问题",
        "Grouped under the problem",
    ),
    (
        "problem.hint",
        "同一原因引起的多张工单归并为一个问题，原因解决后关闭。",
        "Orders with one cause are grouped under one problem, closed once the cause is fixed.",
    ),
    (
        "problem.new_title",
        "或新建问题，标题",
        "Or a new problem, titled",
    ),
    ("problem.none", "（不选）", "(none)"),
    ("problem.open_ones", "未关闭", "Open"),
    ("problem.opened", "建立时间", "Opened"),
    ("problem.orders", "关联工单", "Orders"),
    ("problem.pick", "已有问题", "An open problem"),
    ("problem.status.closed", "已关闭", "Closed"),
    ("problem.status.open", "处理中", "Open"),
    ("problems", "问题管理", "Problems"),
    ("queue", "工单队列", "Work queue"),
    ("queue.busy", "忙碌", "busy"),
    ("queue.longest", "最长等待", "longest"),
    ("queue.ready", "就绪", "ready"),
    ("queue.team", "本部门", "My department"),
    ("queue.waiting", "排队", "waiting"),
    ("reason", "原因", "Reason"),
    ("related", "相关工单", "Related orders"),
    ("reliability", "供电可靠性", "Reliability"),
    (
        "reopen.after_visit",
        "回访不满意",
        "Dissatisfied at the return visit",
    ),
    ("repeat_of", "重复投诉，前单", "Repeat of"),
    ("reply.template", "回复模板", "Reply template"),
    (
        "reply.template.pick",
        "选择模板，填入处理结果",
        "Pick a template to fill in the reply",
    ),
    ("reply_text", "处理结果", "Reply"),
    ("return_visits", "回访记录", "Return visits"),
    ("reveal", "显示完整信息（留痕）", "Show in full (traced)"),
    ("role", "角色", "Role"),
    ("root_cause", "原因分析", "Root cause"),
    ("rule", "规则", "Rule"),
    ("satisfaction", "满意度", "Satisfaction"),
    ("satisfied_rate", "满意率", "Satisfied"),
    ("save", "保存", "Save"),
    ("search", "搜索", "Search"),
    ("segment", "客户分级", "Segment"),
    ("select_all", "全选", "Select all"),
    ("sensitive", "敏感客户", "Sensitive customer"),
    (
        "sensitive.banner",
        "敏感客户：请规范用语，谨慎答复，必要时转值班长",
        "Sensitive customer: answer with care; hand over to the shift lead if needed",
    ),
    ("sent_to", "派往", "Sent to"),
    ("service_kind", "服务类别", "Service kind"),
    (
        "settings.attachment_limit",
        "单个附件上限",
        "Largest attachment",
    ),
    ("settings.attachments", "附件存放目录", "Attachment folder"),
    ("severity", "紧急程度", "Severity"),
    ("station", "供电所", "Station"),
    ("status", "状态", "Status"),
    ("subject", "诉求分类", "Subject"),
    ("template.add", "新增模板", "Add template"),
    ("template.any_subject", "任意分类", "Any subject"),
    ("template.body", "模板内容", "Text"),
    ("template.disable", "停用", "Disable"),
    ("template.edit", "编辑", "Edit"),
    ("template.enable", "启用", "Enable"),
    ("template.name", "模板名称", "Name"),
    (
        "template.name.hint",
        "最多{n}个字",
        "At most {n} characters",
    ),
    (
        "template.placeholders",
        "可用占位符：{客户姓名}、{工单号}，回单时自动填写。",
        "Placeholders: {customer_name}, {order_no}; filled in for the order.",
    ),
    ("template.saved", "已保存模板", "Template saved"),
    ("template.state.active", "启用中", "Active"),
    ("template.state.disabled", "已停用", "Disabled"),
    ("template.subject", "适用诉求分类", "For subject"),
    ("template.updated", "最后修改", "Last changed"),
    ("templates", "回复模板", "Reply templates"),
    (
        "templates.hint",
        "回单时可选用的常用答复，内容中的占位符会按工单自动填写。",
        "Ready answers a handler picks when replying; their placeholders are filled in for the order.",
    ),
    ("templates.manage", "管理回复模板", "Manage reply templates"),
    ("title", "标题", "Title"),
    ("to", "止", "To"),
    ("total", "合计", "Total"),
    ("total.more", "超过", "More than"),
    ("trace", "服务轨迹", "Contact timeline"),
    ("usage_class", "用电类别", "Usage class"),
    ("user.add", "新增用户", "Add user"),
    ("user.all_roles", "全部角色", "All roles"),
    ("user.disable", "停用", "Disable"),
    ("user.edit", "编辑", "Edit"),
    ("user.edit.title", "编辑用户", "Edit user"),
    ("user.enable", "启用", "Enable"),
    ("user.grids", "管理网格", "Managed grids"),
    (
        "user.grids.hint",
        "仅网格客户经理；勾选的网格从原网格经理转来",
        "Grid managers only; a ticked grid leaves its previous manager",
    ),
    ("user.locked", "已锁定", "Locked"),
    ("user.new_password", "新密码", "New password"),
    ("user.password_reset", "重置密码", "Reset password"),
    ("user.search", "用户名或姓名", "Username or name"),
    ("user.state.active", "正常", "Active"),
    ("user.state.disabled", "已停用", "Disabled"),
    ("user.unlock", "解锁", "Unlock"),
    ("username", "用户名", "Username"),
    ("users", "用户与角色", "Users and roles"),
    ("verdict", "是否属实", "Verdict"),
    ("visits", "待回访", "Return visits"),
    ("visits.total", "回访量", "Return visits"),
    ("volume", "受理量", "Orders"),
    ("warnings", "预警", "Warnings"),
    ("warnings.ack", "确认", "Acknowledge"),
    ("warnings.close", "处理", "Close"),
    ("warnings.dismiss", "忽略", "Dismiss"),
    ("warnings.handled", "已处理", "Handled"),
    ("warnings.live", "待处理与已确认", "Open and acknowledged"),
    ("working_day", "工作日", "Working day"),
    (
        "wt.care_in_outage",
        "停电范围内有{care}户关爱客户，请逐户联系",
        "{care} care households in the outage area: contact each one",
    ),
    (
        "wt.complaint_tendency",
        "投诉升级倾向：{words}",
        "Complaint escalation tendency: {words}",
    ),
    (
        "wt.deadline_missed",
        "{clock}时限已超期",
        "{clock} deadline missed",
    ),
    (
        "wt.deadline_near",
        "{clock}时限即将到期",
        "{clock} deadline near",
    ),
    (
        "wt.frequent_outages",
        "{name}{days}天内停电{n}次",
        "{name}: {n} outages in {days} days",
    ),
    (
        "wt.late_planned_notice",
        "计划停电登记晚于提前7天通知期限",
        "Planned outage registered later than 7 days ahead",
    ),
    (
        "wt.long_outage",
        "停电已超过{hours}小时（{cause}），影响{affected}户",
        "Outage longer than {hours} hours ({cause}), {affected} customers affected",
    ),
    ("wt.repeat_complaint", "重复投诉", "Repeat complaint"),
    (
        "wt.repeat_contact",
        "{days}天内第{n}次就“{subject}”来电",
        "Contact no. {n} within {days} days about “{subject}”",
    ),
    (
        "wt.sensitive_customer",
        "敏感客户：{months}个月内投诉{complaints}次、不满意回访{dissatisfied}次",
        "Sensitive customer: {complaints} complaints and {dissatisfied} dissatisfied return visits in {months} months",
    ),
    (
        "wt.sensitive_review",
        "敏感客户到期复核：{name}",
        "Sensitive customer due for review: {name}",
    ),
    (
        "wt.voltage_out_of_limits",
        "{name}{days}天内电压越限{n}次",
        "{name}: voltage out of limits {n} times in {days} days",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sorted_and_unique() {
        for w in MESSAGES.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
    }

    #[test]
    fn every_key_the_templates_use_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                if MESSAGES
                    .binary_search_by(|(k, _, _)| (*k).cmp(key))
                    .is_err()
                {
                    missing.push(key.to_string());
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from MESSAGES: {missing:?}"
        );
    }

    #[test]
    fn every_error_code_reads_in_words_in_both_languages() {
        let table = include_str!("../error.rs");
        let codes: Vec<&str> = table
            .lines()
            .filter_map(|l| l.strip_prefix("//! | `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        assert!(codes.len() > 10, "{codes:?}");
        for code in codes {
            for lang in [Lang::Zh, Lang::En] {
                let tr = Tr { lang };
                assert!(tr.lookup(&format!("err.{code}")).is_some(), "err.{code}");
                let text = tr.error(code, Some("title"));
                assert!(!text.contains('{') && !text.contains('`'), "{code}: {text}");
            }
        }
        let zh = Tr { lang: Lang::Zh };
        assert_eq!(
            zh.error("invalid_field", Some("title")),
            "标题须为1至200个字"
        );
        assert_eq!(
            zh.error("missing_field", Some("verdict")),
            "请填写“是否属实”"
        );
        assert_eq!(zh.error("no_such_code", None), "提交的内容有误");
    }

    #[test]
    fn spans_read_naturally() {
        let zh = Tr { lang: Lang::Zh };
        assert_eq!(zh.span(135 * 60_000), "2小时15分");
        assert_eq!(Tr { lang: Lang::En }.span(26 * 3_600_000), "1 d 2 h");
    }
}
