//! What the generated contacts say: titles, descriptions, replies and return-visit remarks
//! as a 95598 agent or a supply station would write them. Placeholders filled per order:
//! `{村}` village or community, `{址}` the customer's address, `{台区}` transformer area,
//! `{线路}` feeder, `{原因}` cause of an outage, `{时}` local time of restoration, `{人}` the
//! crew member. Every text avoids ASCII commas (the CSV export stays easy to read).

use voltdesk_domain::{ComplaintClass, OrderType, ServiceKind, SubjectArea};

/// (subject, title, description, reply at intake)
pub(super) type Consultation = (SubjectArea, &'static str, &'static str, &'static str);

pub(super) const CONSULTATIONS: &[Consultation] = &[
    (
        SubjectArea::TariffBill,
        "咨询本月电费偏高原因",
        "客户反映{址}本月电费比上月高出较多，询问计费明细。",
        "已向客户解释本月用电量增加且进入阶梯电价第二档，客户表示理解。",
    ),
    (
        SubjectArea::TariffBill,
        "咨询居民阶梯电价标准",
        "客户询问居民阶梯电价各档电量及单价。",
        "已告知年度阶梯电量分档标准及各档电价。",
    ),
    (
        SubjectArea::TariffBill,
        "咨询峰谷分时电价办理",
        "客户想办理峰谷分时电价，询问办理条件和峰谷时段。",
        "已告知峰谷时段及电价标准，客户可通过网上国网申请。",
    ),
    (
        SubjectArea::TariffBill,
        "咨询电费账单明细",
        "客户收到电费短信，金额与往月差异较大，询问账单明细。",
        "已告知账单明细查询方式并解释本期电量构成。",
    ),
    (
        SubjectArea::TariffBill,
        "咨询二手房电费过户",
        "客户购买{村}二手房，询问电费户名过户办理流程。",
        "已告知过户所需资料及线上、营业厅两种办理渠道。",
    ),
    (
        SubjectArea::TariffBill,
        "咨询农业生产用电电价",
        "客户询问{村}灌溉用电执行何种电价。",
        "已告知农业生产用电电价标准及执行范围。",
    ),
    (
        SubjectArea::TariffBill,
        "咨询电采暖电价政策",
        "客户家中使用电采暖，询问冬季是否有优惠电价。",
        "已告知电采暖用户电价政策及申请方式。",
    ),
    (
        SubjectArea::ReadingCollection,
        "咨询电费缴纳方式",
        "客户询问除营业厅外还有哪些缴费方式。",
        "已告知网上国网、微信、银行代扣等缴费方式。",
    ),
    (
        SubjectArea::ReadingCollection,
        "咨询抄表例日",
        "客户询问{址}的抄表例日及账单发布时间。",
        "已告知本户抄表例日及电费账单推送时间。",
    ),
    (
        SubjectArea::ReadingCollection,
        "咨询欠费停电规定",
        "客户询问欠费多久会停电，停电前是否会通知。",
        "已解释欠费催缴流程及停电前七天书面通知的规定。",
    ),
    (
        SubjectArea::ReadingCollection,
        "查询预存电费余额",
        "客户不清楚预存电费余额，请求查询。",
        "已核实户号并告知当前余额，提醒余额不足时及时充值。",
    ),
    (
        SubjectArea::ReadingCollection,
        "咨询银行代扣办理",
        "客户想办理银行代扣电费，询问办理方式。",
        "已告知可在网上国网或营业厅签订代扣协议。",
    ),
    (
        SubjectArea::ReadingCollection,
        "咨询缴费后未到账",
        "客户在网上国网缴费后显示处理中，询问何时到账。",
        "已查询缴费记录已到账，告知客户刷新后查看。",
    ),
    (
        SubjectArea::Expansion,
        "咨询新装用电办理流程",
        "客户在{村}新建住房，询问低压居民新装所需资料。",
        "已告知需提供身份证明和房屋产权证明，可通过网上国网线上办理。",
    ),
    (
        SubjectArea::Expansion,
        "咨询居民增容办理",
        "客户家中新增空调，询问是否需要办理增容。",
        "已告知居民增容申请流程及所需资料。",
    ),
    (
        SubjectArea::Expansion,
        "咨询充电桩报装",
        "客户购买新能源汽车，询问在{村}安装私人充电桩的报装流程。",
        "已告知充电桩报装所需资料及办理渠道。",
    ),
    (
        SubjectArea::Expansion,
        "咨询屋顶光伏并网",
        "客户计划在自家屋顶安装分布式光伏，询问并网手续。",
        "已告知分布式光伏并网申请流程及所需资料。",
    ),
    (
        SubjectArea::Expansion,
        "咨询临时用电办理",
        "客户在{村}办酒席需要临时用电，询问办理手续。",
        "已告知临时用电申请流程及收费标准。",
    ),
    (
        SubjectArea::Metering,
        "咨询电表显示含义",
        "客户询问智能电表屏幕各项读数的含义。",
        "已逐项解释电表显示内容。",
    ),
    (
        SubjectArea::Metering,
        "咨询旧电表是否需要更换",
        "客户询问家中旧电表是否需要更换为智能电表。",
        "已告知智能电表轮换计划，届时将提前通知。",
    ),
    (
        SubjectArea::Metering,
        "咨询自抄读数与账单不一致",
        "客户自行抄读电表读数与账单不同，询问原因。",
        "已解释抄表日与自读日期不同导致读数差异。",
    ),
    (
        SubjectArea::MeterInstallation,
        "咨询表箱能否迁移",
        "客户因房屋翻建，询问{址}的表箱能否迁移位置。",
        "已告知表箱迁移需提交申请，由供电所现场勘查后确定。",
    ),
    (
        SubjectArea::ServiceChannel,
        "咨询网上国网绑定户号",
        "客户不会在网上国网绑定户号，请求指导。",
        "已一步步指导客户完成户号绑定。",
    ),
    (
        SubjectArea::ServiceChannel,
        "咨询营业厅地址及营业时间",
        "客户询问城南供电所营业厅地址及营业时间。",
        "已告知营业厅地址及营业时间。",
    ),
    (
        SubjectArea::ServiceChannel,
        "咨询电子发票开具",
        "客户需要电费发票，询问如何开具电子发票。",
        "已告知可在网上国网下载电子发票。",
    ),
    (
        SubjectArea::ServiceChannel,
        "咨询95598可办理业务",
        "客户询问95598可以办理哪些业务。",
        "已介绍95598受理的业务范围及自助查询方式。",
    ),
    (
        SubjectArea::Outage,
        "咨询近期是否有停电计划",
        "客户家中有老人用制氧机，询问{台区}近期是否有停电计划。",
        "已查询近期无计划停电，并为客户登记关爱提醒。",
    ),
    (
        SubjectArea::UsageInspection,
        "咨询户内用电安全",
        "客户询问家中老旧线路是否存在安全隐患，如何检查。",
        "已告知用电安全注意事项，建议请专业电工检查户内线路。",
    ),
];

/// Consultations while a planned outage is announced or under way on the caller's feeder.
pub(super) const OUTAGE_CONSULTATIONS: &[Consultation] = &[
    (
        SubjectArea::Outage,
        "咨询计划停电时间",
        "客户看到停电公告，询问{台区}计划停电的起止时间。",
        "已告知计划停电时间及预计恢复送电时间。",
    ),
    (
        SubjectArea::Outage,
        "咨询停电原因及恢复时间",
        "客户反映{村}停电，询问停电原因及恢复时间。",
        "已告知为{线路}计划检修停电，预计按时恢复送电。",
    ),
    (
        SubjectArea::Outage,
        "咨询停电期间能否改期",
        "客户{址}家中有冷库，询问计划停电能否改期。",
        "已解释检修计划已公告，建议客户提前做好准备。",
    ),
    (
        SubjectArea::Outage,
        "咨询停电公告范围",
        "客户询问停电公告中的范围是否包括{村}。",
        "已核实客户所在{台区}在本次停电范围内。",
    ),
];

/// (subject, title, description, reply)
pub(super) type Repair = (SubjectArea, &'static str, &'static str, &'static str);

pub(super) const REPAIRS: &[Repair] = &[
    (
        SubjectArea::Outage,
        "家中停电，邻居有电",
        "客户反映{址}家中突然停电，邻居家有电，表箱内开关未跳。",
        "更换熔断的进户保险，已恢复供电。",
    ),
    (
        SubjectArea::Outage,
        "村民小组停电",
        "客户反映{村}附近十余户同时停电，已超过半小时。",
        "台区低压出线开关跳闸，检查无故障后合闸送电。",
    ),
    (
        SubjectArea::SupplyQuality,
        "电压低，空调无法启动",
        "客户反映{址}傍晚电压偏低，空调、水泵无法启动。",
        "调整配变分接头并平衡三相负荷，电压恢复正常。",
    ),
    (
        SubjectArea::Outage,
        "表箱冒烟",
        "客户反映{址}楼道表箱有焦味并冒烟，请求尽快处理。",
        "表箱内接线端子烧损，已更换并恢复供电。",
    ),
    (
        SubjectArea::Outage,
        "入户线被大风刮断",
        "大风后{址}入户线断落在院内，客户已远离，请求抢修。",
        "重新架设入户线，已恢复供电。",
    ),
    (
        SubjectArea::Outage,
        "总开关跳闸合不上",
        "客户反映{址}家中总开关跳闸后无法合上，家中无电。",
        "经查为户内热水器漏电，已协助隔离故障电器并恢复供电。",
    ),
    (
        SubjectArea::SupplyQuality,
        "灯光闪烁电压不稳",
        "客户反映{址}近日灯光闪烁，电压忽高忽低。",
        "紧固配变低压桩头松动接头，电压恢复稳定。",
    ),
    (
        SubjectArea::Outage,
        "电杆倾斜",
        "客户反映{村}路边电杆倾斜，存在安全隐患。",
        "扶正电杆并加装拉线，已消除隐患。",
    ),
    (
        SubjectArea::Outage,
        "树枝搭在电线上",
        "客户反映{村}路口树枝搭在电线上，有放电声。",
        "已修剪树障并检查导线，供电正常。",
    ),
    (
        SubjectArea::MeterInstallation,
        "表箱门被撞坏",
        "客户反映{址}电表箱门被撞坏，表计外露。",
        "已更换表箱门并加锁。",
    ),
    (
        SubjectArea::SupplyQuality,
        "部分房间没电",
        "客户反映{址}家中部分插座和灯没电，疑似缺相。",
        "进户线一相接头烧断，已重新连接，三相供电恢复。",
    ),
    (
        SubjectArea::Outage,
        "整栋楼停电",
        "客户反映{址}所在单元整栋停电，电梯停运。",
        "单元总表箱进线开关故障，已更换并恢复供电。",
    ),
    (
        SubjectArea::Outage,
        "路边电线断落",
        "客户反映{村}路边有电线断落，请求处理。",
        "断落的为低压接户线，已隔离并重新架设。",
    ),
    (
        SubjectArea::SupplyQuality,
        "电压高烧坏灯泡",
        "客户反映{址}电压偏高，连续烧坏多个灯泡。",
        "调整配变分接头，实测电压恢复正常。",
    ),
    (
        SubjectArea::Outage,
        "变压器有异响",
        "客户反映{台区}变压器有异常响声并伴有焦糊味。",
        "检查配变及低压出线，更换烧损的低压熔丝，运行正常。",
    ),
    (
        SubjectArea::Outage,
        "雷雨后家中停电",
        "客户反映{址}雷雨过后家中停电。",
        "雷击造成表前空开损坏，已更换并恢复供电。",
    ),
    (
        SubjectArea::Outage,
        "电缆井冒烟",
        "客户反映{村}路边电缆井有烟冒出。",
        "低压电缆中间接头故障，已处理并恢复供电。",
    ),
    (
        SubjectArea::Outage,
        "接户线老化打火",
        "客户反映{址}门口接户线老化，下雨时打火。",
        "更换老化接户线，已消除隐患。",
    ),
    (
        SubjectArea::Outage,
        "家中停电原因不明",
        "客户反映{址}家中停电，不清楚是否为计划停电，请求派人查看。",
        "经查为表后开关跳闸，已协助恢复供电并告知户内线路需检修。",
    ),
    (
        SubjectArea::Outage,
        "店铺停电影响营业",
        "客户反映{址}店铺停电，冰柜内货物急需用电。",
        "更换烧损的表前开关，已恢复供电。",
    ),
];

/// Calls while a fault outage is under way in the caller's area.
pub(super) const FAULT_CALLS: &[(SubjectArea, &str, &str)] = &[
    (
        SubjectArea::Outage,
        "片区停电",
        "客户反映{村}大面积停电，周边住户都没电。",
    ),
    (
        SubjectArea::Outage,
        "家中停电，周边也停了",
        "客户反映{址}家中停电，邻居家也没电。",
    ),
    (
        SubjectArea::Outage,
        "突然停电请尽快恢复",
        "客户反映{村}突然停电，家中有老人，请求尽快恢复。",
    ),
    (
        SubjectArea::Outage,
        "停电后听到响声",
        "客户反映{村}停电前听到一声巨响，怀疑线路故障。",
    ),
    (
        SubjectArea::Outage,
        "台区停电",
        "客户反映{台区}供电范围全部停电。",
    ),
    (
        SubjectArea::Outage,
        "停电影响生产",
        "客户反映{址}停电，生产设备停机，询问恢复时间。",
    ),
];

/// The reply of a repair taken during a fault outage.
pub(super) const FAULT_REPLY: &str = "经查为{原因}，抢修完毕，已于{时}恢复供电。";

/// (kind, subject, title, description, reply)
pub(super) type Request = (
    ServiceKind,
    SubjectArea,
    &'static str,
    &'static str,
    &'static str,
);

pub(super) const SERVICE_REQUESTS: &[Request] = &[
    (
        ServiceKind::Reconnect,
        SubjectArea::ReadingCollection,
        "欠费已缴清，申请复电",
        "客户已通过网上国网缴清欠费，申请尽快恢复供电。",
        "已远程下发复电指令，客户确认来电。",
    ),
    (
        ServiceKind::Reconnect,
        SubjectArea::ReadingCollection,
        "缴费后仍未来电",
        "客户反映{址}缴费已两小时仍未恢复供电。",
        "核实缴费已到账，重新下发复电指令后供电恢复。",
    ),
    (
        ServiceKind::Reconnect,
        SubjectArea::ReadingCollection,
        "预付费余额不足断电后充值",
        "客户预存电费不足被停电，已充值，申请复电。",
        "已远程复电，提醒客户开通余额提醒。",
    ),
    (
        ServiceKind::MeterAnomaly,
        SubjectArea::Metering,
        "电表走字异常",
        "客户反映{址}家中无人时电表仍在走字。",
        "现场检查为户内电器待机耗电，电表计量正常，已向客户说明。",
    ),
    (
        ServiceKind::MeterAnomaly,
        SubjectArea::Metering,
        "电表黑屏",
        "客户反映{址}电表显示屏黑屏。",
        "现场更换电表，已告知客户新旧表底数。",
    ),
    (
        ServiceKind::ReadingAnomaly,
        SubjectArea::ReadingCollection,
        "抄表读数有误",
        "客户认为本月抄表读数与电表实际读数不符。",
        "复核读数后确认为估抄，已退补电量并向客户致歉。",
    ),
    (
        ServiceKind::ReadingAnomaly,
        SubjectArea::ReadingCollection,
        "账单电量异常",
        "客户反映本月账单电量是平时的三倍。",
        "现场核对表码，系上月少抄本月补抄，已向客户解释。",
    ),
    (
        ServiceKind::MeterCalibration,
        SubjectArea::Metering,
        "申请电表校验",
        "客户怀疑{址}电表计量偏快，申请校验。",
        "电表校验合格，误差在允许范围内，已告知客户校验结果。",
    ),
    (
        ServiceKind::ApplianceDamage,
        SubjectArea::SupplyQuality,
        "电压突升损坏家电",
        "客户反映{址}昨晚电压突升，电视机和冰箱损坏，申请核实。",
        "现场核实为配变中性线松动导致电压异常，已修复并按规定办理赔偿。",
    ),
    (
        ServiceKind::ApplianceDamage,
        SubjectArea::SupplyQuality,
        "雷击后家电损坏",
        "客户反映雷雨后{址}家中电视机损坏，要求赔偿。",
        "经核实为雷击感应所致，非供电设施原因，已向客户解释。",
    ),
    (
        ServiceKind::NewConnectionResidential,
        SubjectArea::Expansion,
        "申请居民新装用电",
        "客户在{村}新建住房，申请低压居民新装。",
        "已完成现场勘查及装表接电。",
    ),
    (
        ServiceKind::NewConnectionResidential,
        SubjectArea::Expansion,
        "申请私人充电桩用电",
        "客户申请在{址}安装私人充电桩。",
        "已完成勘查及装表接电，充电桩已通电。",
    ),
    (
        ServiceKind::NewConnectionLvNonResidential,
        SubjectArea::Expansion,
        "申请商铺新装用电",
        "客户在{村}开办商铺，申请低压非居民新装。",
        "已完成装表接电。",
    ),
    (
        ServiceKind::NewConnectionLvNonResidential,
        SubjectArea::Expansion,
        "申请农家乐新装用电",
        "客户在{村}经营农家乐，申请三相动力用电。",
        "已完成勘查、供电方案答复及装表接电。",
    ),
    (
        ServiceKind::NewConnectionHvSingle,
        SubjectArea::Expansion,
        "申请高压新装",
        "企业在{村}新建厂房，申请10千伏高压新装。",
        "已完成供电方案答复、受电工程验收及装表接电。",
    ),
    (
        ServiceKind::Other,
        SubjectArea::MeterInstallation,
        "申请电表移位",
        "客户房屋装修，申请将{址}电表移至门外。",
        "已现场勘查并完成移表。",
    ),
    (
        ServiceKind::Other,
        SubjectArea::TariffBill,
        "申请更名过户",
        "客户购买{村}二手房，申请电费户名过户。",
        "已完成过户手续。",
    ),
    (
        ServiceKind::Other,
        SubjectArea::Expansion,
        "申请居民增容",
        "客户家中增加电器，申请由4千瓦增至8千瓦。",
        "已完成增容，更换电表及进户线。",
    ),
    (
        ServiceKind::Other,
        SubjectArea::ReadingCollection,
        "申请暂停用电",
        "客户外出务工，申请{址}暂停用电。",
        "已办理暂停用电并告知恢复方式。",
    ),
];

/// How often each kind of service request comes in (per thousand).
pub(super) const SERVICE_KIND_SHARES: &[(ServiceKind, u32)] = &[
    (ServiceKind::Reconnect, 250),
    (ServiceKind::MeterAnomaly, 110),
    (ServiceKind::ReadingAnomaly, 80),
    (ServiceKind::MeterCalibration, 40),
    (ServiceKind::ApplianceDamage, 50),
    (ServiceKind::NewConnectionResidential, 200),
    (ServiceKind::NewConnectionLvNonResidential, 60),
    (ServiceKind::NewConnectionHvSingle, 10),
    (ServiceKind::Other, 200),
];

/// (class, subject, title, description, reply if substantiated, reply if not)
pub(super) type Complaint = (
    ComplaintClass,
    SubjectArea,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

pub(super) const COMPLAINTS: &[Complaint] = &[
    (
        ComplaintClass::Service,
        SubjectArea::ServiceConduct,
        "投诉营业厅人员态度差",
        "客户反映在营业厅办理业务时工作人员态度生硬、不耐烦。",
        "经核实工作人员服务用语不规范，已批评教育并向客户致歉。",
        "调阅营业厅录像，工作人员按规范办理，已向客户解释说明。",
    ),
    (
        ComplaintClass::Service,
        SubjectArea::ServiceConduct,
        "投诉抢修人员未按约定时间到达",
        "客户反映抢修人员约定上午到达，下午才到，也未提前告知。",
        "经核实抢修人员未按约定时间到达且未告知，已考核并向客户致歉。",
        "当天多处故障同时抢修，已向客户说明情况。",
    ),
    (
        ComplaintClass::Service,
        SubjectArea::ServiceChannel,
        "投诉网上国网缴费后未到账",
        "客户反映在网上国网缴费后三天仍显示欠费，多次咨询未解决。",
        "系渠道对账异常，已人工销账并向客户致歉。",
        "缴费已于当日到账，系客户查询的户号有误，已向客户解释。",
    ),
    (
        ComplaintClass::Service,
        SubjectArea::Integrity,
        "投诉工作人员索要好处费",
        "客户反映办理新装时有工作人员暗示收取好处费。",
        "经查属实，已按规定严肃处理相关人员并向客户致歉。",
        "经纪检部门调查未发现索要好处费行为，已向客户反馈调查结果。",
    ),
    (
        ComplaintClass::Business,
        SubjectArea::TariffBill,
        "投诉电费异常偏高",
        "客户认为{址}电费异常偏高，怀疑电表计量不准。",
        "核查发现抄表差错，已退还多收电费并向客户致歉。",
        "经现场校验电表合格，电量为客户实际用电，已向客户解释。",
    ),
    (
        ComplaintClass::Business,
        SubjectArea::Metering,
        "投诉电表计量不准",
        "客户反映更换新电表后电费明显增加，要求说法。",
        "旧表存在计量偏差，已按规定退补电量。",
        "新表校验合格，电费增加系夏季用电量上升，已向客户说明。",
    ),
    (
        ComplaintClass::Business,
        SubjectArea::ReadingCollection,
        "投诉未通知即停电催费",
        "客户反映未收到任何通知就被停电催费。",
        "经核实未按规定送达停电通知，已立即复电并向客户致歉。",
        "停电通知已于七日前送达并有签收记录，已向客户出示。",
    ),
    (
        ComplaintClass::Business,
        SubjectArea::Expansion,
        "投诉新装办理时间过长",
        "客户反映在{村}申请新装已超过十天仍未装表。",
        "经核实办理超时，已督办完成装表接电并向客户致歉。",
        "因客户资料不全暂停办理，补齐后已按时限完成，已向客户解释。",
    ),
    (
        ComplaintClass::Business,
        SubjectArea::ReadingCollection,
        "投诉估抄电量",
        "客户反映抄表员长期不到现场，电量是估出来的。",
        "经核实存在估抄，已更正电量并对抄表人员考核。",
        "本户为远程自动抄表，数据准确，已向客户解释。",
    ),
    (
        ComplaintClass::Outage,
        SubjectArea::Outage,
        "投诉频繁停电",
        "客户反映{村}本月已停电三次，影响生活，要求给出说法。",
        "经查为{台区}线路老化，已列入改造计划并向客户说明。",
        "停电均为计划检修并已提前公告，已向客户解释。",
    ),
    (
        ComplaintClass::Outage,
        SubjectArea::Outage,
        "投诉停电未提前通知",
        "客户反映{村}停电前没有看到任何通知。",
        "经核实公告张贴不到位，已整改并向客户致歉。",
        "停电公告已提前七天张贴并短信通知，已向客户说明。",
    ),
    (
        ComplaintClass::Outage,
        SubjectArea::RepairQuality,
        "投诉抢修不及时",
        "客户反映报修后等了三个多小时抢修人员才到。",
        "经核实到达超时，已对抢修班组考核并向客户致歉。",
        "当时暴雨多处故障，抢修人员按先后顺序处理，已向客户解释。",
    ),
    (
        ComplaintClass::Outage,
        SubjectArea::Outage,
        "投诉停电时间过长",
        "客户反映{村}停电超过八小时，家中冰箱食物变质。",
        "故障抢修时间过长，已向客户致歉并说明改进措施。",
        "故障点位于山区抢修难度大，已向客户说明抢修过程。",
    ),
    (
        ComplaintClass::SupplyQuality,
        SubjectArea::SupplyQuality,
        "投诉长期电压偏低",
        "客户反映{址}入夏以来电压长期偏低，多次反映未解决。",
        "经测量末端电压偏低，已新增配变布点并完成改造。",
        "实测电压在合格范围内，系户内线路过细，已向客户说明。",
    ),
    (
        ComplaintClass::SupplyQuality,
        SubjectArea::SupplyQuality,
        "投诉电压不稳损坏电器",
        "客户反映电压不稳导致家中电器多次损坏。",
        "经查为配变三相不平衡，已调整负荷并按规定赔偿。",
        "监测电压正常，电器损坏与供电质量无关，已向客户解释。",
    ),
    (
        ComplaintClass::GridConstruction,
        SubjectArea::Expansion,
        "投诉施工后路面未恢复",
        "客户反映供电施工后{村}路面开挖未恢复，影响通行。",
        "已督促施工单位恢复路面并向客户致歉。",
        "路面恢复已列入工期计划，已向客户说明时间。",
    ),
    (
        ComplaintClass::GridConstruction,
        SubjectArea::Expansion,
        "投诉电杆立在自家田里",
        "客户反映新立电杆占用其承包地，施工前未协商。",
        "经核实施工前协商不到位，已重新协商并按规定补偿。",
        "杆位已与村委会协商并公示，已向客户说明。",
    ),
    (
        ComplaintClass::GridConstruction,
        SubjectArea::Expansion,
        "投诉变压器噪音扰民",
        "客户反映{台区}新装变压器离住宅太近，夜间噪音大。",
        "已加装减振降噪措施，并向客户说明。",
        "实测噪音符合标准，已向客户解释。",
    ),
];

/// Complaint classes (State Grid's five) by how often they come in (per thousand).
pub(super) const COMPLAINT_CLASS_SHARES: &[(ComplaintClass, u32)] = &[
    (ComplaintClass::Business, 360),
    (ComplaintClass::Outage, 260),
    (ComplaintClass::Service, 170),
    (ComplaintClass::SupplyQuality, 160),
    (ComplaintClass::GridConstruction, 50),
];

/// (type, subject, title, description, reply)
pub(super) type Other = (
    OrderType,
    SubjectArea,
    &'static str,
    &'static str,
    &'static str,
);

pub(super) const OTHERS: &[Other] = &[
    (
        OrderType::Opinion,
        SubjectArea::ServiceChannel,
        "营业厅周末营业时间太短",
        "客户认为营业厅周末只开半天不方便上班族办理业务。",
        "已将意见转营销部研究，并告知客户可通过网上国网办理。",
    ),
    (
        OrderType::Opinion,
        SubjectArea::Outage,
        "对停电通知方式有意见",
        "客户认为停电公告只贴在村口，很多村民看不到。",
        "已采纳意见，今后同步通过短信和村微信群通知。",
    ),
    (
        OrderType::Opinion,
        SubjectArea::ReadingCollection,
        "对电费催缴方式有意见",
        "客户认为催费短信过于频繁。",
        "已调整催费提醒频次并向客户说明。",
    ),
    (
        OrderType::Opinion,
        SubjectArea::ServiceChannel,
        "网上国网操作复杂",
        "客户认为网上国网操作复杂，老年人不会使用。",
        "已反馈渠道管理部门，并安排网格经理上门指导。",
    ),
    (
        OrderType::Opinion,
        SubjectArea::ServiceConduct,
        "抢修车辆占道",
        "客户反映抢修车辆停在{村}路口影响通行。",
        "已提醒抢修班组规范停车。",
    ),
    (
        OrderType::Suggestion,
        SubjectArea::Outage,
        "建议停电通知增加短信提醒",
        "客户建议计划停电除张贴公告外再发短信。",
        "感谢建议，已纳入停电通知流程。",
    ),
    (
        OrderType::Suggestion,
        SubjectArea::ServiceChannel,
        "建议村里增设缴费点",
        "客户建议在{村}便民服务中心增设电费代收点。",
        "已将建议转营销部评估。",
    ),
    (
        OrderType::Suggestion,
        SubjectArea::ServiceConduct,
        "建议为老人提供上门服务",
        "客户建议为行动不便的老人提供上门办理业务服务。",
        "已安排网格经理对辖区独居老人提供上门服务。",
    ),
    (
        OrderType::Suggestion,
        SubjectArea::SupplyQuality,
        "建议更换老旧电杆",
        "客户建议更换{村}的老旧水泥电杆。",
        "已列入农网改造计划。",
    ),
    (
        OrderType::Praise,
        SubjectArea::RepairQuality,
        "表扬抢修人员冒雨抢修",
        "客户表扬{人}师傅深夜冒雨赶到{村}恢复供电。",
        "感谢表扬，已转达抢修班组。",
    ),
    (
        OrderType::Praise,
        SubjectArea::ServiceConduct,
        "表扬营业厅工作人员耐心",
        "客户表扬营业厅工作人员耐心帮助其办理过户。",
        "感谢表扬，已转达营业厅。",
    ),
    (
        OrderType::Praise,
        SubjectArea::ServiceConduct,
        "表扬网格经理上门服务",
        "客户表扬网格经理上门帮助老人绑定网上国网。",
        "感谢表扬，已转达网格经理。",
    ),
    (
        OrderType::Praise,
        SubjectArea::RepairQuality,
        "表扬抢修速度快",
        "客户表扬报修后半小时抢修人员就到{村}现场。",
        "感谢表扬，已转达抢修班组。",
    ),
    (
        OrderType::Praise,
        SubjectArea::ServiceConduct,
        "表扬供电所关爱独居老人",
        "客户表扬供电所定期上门为{村}独居老人检查用电安全。",
        "感谢表扬，已转达供电所。",
    ),
];

pub(super) const REPORTS: &[Other] = &[
    (
        OrderType::Report,
        SubjectArea::UsageInspection,
        "举报私拉乱接用电",
        "客户举报{村}有人从路灯线路私接用电。",
        "经现场检查属实，已拆除私接线路并依法处理。",
    ),
    (
        OrderType::Report,
        SubjectArea::UsageInspection,
        "举报疑似窃电",
        "客户举报{村}有一户常年开着大功率设备但电费很少。",
        "经用电检查未发现窃电行为，已向举报人反馈。",
    ),
    (
        OrderType::Report,
        SubjectArea::Metering,
        "举报私自移动电表",
        "客户举报邻居私自拆移电表。",
        "经现场核实已责令恢复并补办手续。",
    ),
    (
        OrderType::Report,
        SubjectArea::UsageInspection,
        "举报电力设施被盗",
        "客户举报{村}有人偷剪废旧电缆。",
        "已报警并配合公安处理，受损设施已修复。",
    ),
];

pub(super) const SATISFIED: &[&str] = &[
    "客户表示满意。",
    "客户对处理结果满意，感谢及时处理。",
    "客户认可处理结果。",
    "客户表示问题已解决，满意。",
    "客户对服务态度和处理速度满意。",
];

pub(super) const SATISFIED_REPAIR: &[&str] = &[
    "客户确认已恢复供电，表示满意。",
    "客户表示抢修及时，满意。",
    "客户确认供电正常，感谢抢修人员。",
];

pub(super) const BASICALLY_SATISFIED: &[&str] = &[
    "客户基本满意，希望以后处理更快一些。",
    "客户基本满意，建议停电能提前通知。",
    "客户表示问题已解决，但等待时间较长。",
    "客户基本认可处理结果。",
];

pub(super) const DISSATISFIED: &[&str] = &[
    "客户认为问题未根本解决。",
    "客户对处理时间过长不满意。",
    "客户认为答复未解决实际问题，要求再次处理。",
    "客户表示问题仍然存在。",
];

pub(super) const CONTACT_NOTES: &[&str] = &[
    "已电话联系客户，了解具体诉求。",
    "已联系客户，约定上门时间。",
    "已联系客户并致歉，说明处理进度。",
    "已联系客户，核实相关情况。",
];

pub(super) const RECONTACT_NOTE: &str = "回访不满意，已再次联系客户并约定重新处理。";

pub(super) const URGE_NOTES: &[&str] = &[
    "客户来电催办，已告知处理进度。",
    "客户再次来电询问处理进度。",
];

pub(super) const CANCEL_REASONS: &[&str] = &[
    "客户来电告知已自行恢复，撤销工单。",
    "客户表示系户内开关跳闸，已自行合上，撤销工单。",
    "客户表示误报，撤销工单。",
];

/// Reply to a follow-up round after a dissatisfied return visit.
pub(super) const SECOND_REPLIES: &[&str] = &[
    "再次上门向客户详细解释并协助处理，客户表示接受。",
    "已再次核实并向客户说明处理依据，客户表示理解。",
];

/// Causes of outages, by kind.
pub(super) const PLANNED_CAUSES: &[&str] = &[
    "计划检修：线路设备消缺",
    "计划检修：配变增容改造",
    "计划检修：配合道路施工迁改线路",
    "计划检修：更换老旧杆塔",
    "计划检修：开关设备更换",
    "计划检修：线路绝缘化改造",
];

pub(super) const TEMPORARY_CAUSES: &[&str] = &[
    "临时检修：配变渗油处理",
    "临时检修：线路缺陷紧急处理",
    "临时检修：低压线路改造",
    "临时检修：清除树障",
];

/// (cause, weight in winter months, weight in summer months, weight otherwise)
pub(super) const FAULT_CAUSES: &[(&str, u32, u32, u32)] = &[
    ("雷击：线路避雷器击穿跳闸", 0, 30, 6),
    ("树障：树枝碰触导线短路", 6, 14, 14),
    ("过负荷：配变低压熔丝熔断", 10, 14, 3),
    ("设备老化：配变低压桩头烧损", 18, 10, 18),
    ("设备老化：电缆中间接头击穿", 14, 6, 12),
    ("外力破坏：施工机械挖断电缆", 10, 8, 16),
    ("外力破坏：车辆撞断电杆", 10, 6, 12),
    ("小动物：鸟类筑巢造成短路", 2, 4, 12),
    ("台风：倒杆断线", 0, 6, 1),
    ("覆冰：导线覆冰断线", 12, 0, 0),
    ("大风：异物挂线短路", 8, 2, 8),
];
