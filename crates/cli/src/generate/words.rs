//! Word lists for the generators: common surnames and given-name characters, place names.
//! Every place here is fictional; the county is 桐溪县.

pub const COUNTY: &str = "桐溪县";

/// The most common surnames first, so a weighted pick from the front looks like a real register.
pub const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
    "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武", "戴",
    "莫", "孔", "向", "汤", "楼", "俞", "应", "童", "章", "骆",
];

/// Characters of given names; a name takes one or two of them.
pub const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "辉", "红", "玲", "兰", "萍",
    "志", "鹏", "宇", "浩", "婷", "雪", "琳", "燕", "海", "春", "林", "峰", "晨", "欣", "怡", "佳",
    "俊", "凯", "荣", "梅", "丹", "利", "忠", "德", "福", "根", "水", "金", "宝", "生", "祥", "珍",
    "美", "凤", "云", "飞", "斌", "波", "健", "昊", "阳", "雨", "思", "梓", "子", "涵", "轩", "博",
    "振", "新", "永", "成", "庆", "泉", "松", "柏", "菊", "莲", "月", "星", "晓", "亮", "彬", "慧",
];

/// Towns (镇) and the one sub-district (街道) of the station's territory, with their villages.
/// The sub-district holds the five urban communities.
pub const TOWNS: &[(&str, &[&str])] = &[
    (
        "城南街道",
        &["春晖社区", "学府社区", "江滨社区", "迎春社区", "桐君社区"],
    ),
    (
        "青山镇",
        &[
            "王家村",
            "石门村",
            "上塘村",
            "下沙村",
            "柳林村",
            "东溪村",
            "樟树村",
        ],
    ),
    (
        "溪口镇",
        &[
            "溪口村",
            "何家村",
            "竹园村",
            "新桥村",
            "荷花村",
            "南岙村",
            "大坞村",
        ],
    ),
    (
        "白云镇",
        &[
            "白云村",
            "青龙村",
            "田畈村",
            "长丰村",
            "枫林村",
            "杨梅村",
            "鲍家村",
        ],
    ),
    (
        "凤鸣乡",
        &["凤鸣村", "金竹村", "岭脚村", "高山村", "茶坪村", "云台村"],
    ),
    (
        "深坑乡",
        &["深坑村", "天井岭村", "雾岩村", "大源村", "梨坑村", "上岙村"],
    ),
];

/// Villages in these towns are high in the hills: their areas are `remote` (特殊边远).
pub const REMOTE_TOWNS: &[&str] = &["深坑乡"];

/// Streets of the urban communities.
pub const STREETS: &[&str] = &[
    "学前路",
    "江滨路",
    "迎春路",
    "桐君路",
    "春晖路",
    "解放街",
    "人民路",
    "文化路",
    "富春路",
    "白云路",
];

/// Feeders (10 kV lines), named after what they run along.
pub const FEEDERS: &[&str] = &[
    "城南线",
    "学府线",
    "江滨线",
    "迎春线",
    "桐君线",
    "青山线",
    "石门线",
    "溪口线",
    "竹园线",
    "白云线",
    "长丰线",
    "凤鸣线",
    "金竹线",
    "深坑线",
    "雾岩线",
];

/// Trades for non-residential customers: (name suffix, usage class code).
pub const TRADES: &[(&str, &str)] = &[
    ("五金店", "commercial"),
    ("超市", "commercial"),
    ("农家乐", "commercial"),
    ("小吃店", "commercial"),
    ("理发店", "commercial"),
    ("便利店", "commercial"),
    ("村民委员会", "non_residential"),
    ("小学", "non_residential"),
    ("卫生室", "non_residential"),
    ("文化礼堂", "non_residential"),
    ("幼儿园", "non_residential"),
    ("老年活动中心", "non_residential"),
    ("路灯", "non_residential"),
    ("通信基站", "non_residential"),
    ("污水处理站", "non_residential"),
    ("家庭农场", "agricultural"),
    ("灌溉站", "agricultural"),
    ("茶叶合作社", "agricultural"),
    ("竹木制品厂", "large_industry"),
    ("纺织有限公司", "large_industry"),
];
