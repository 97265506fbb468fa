"""The street office's default tripartite duty list (三方权责清单): 19 items.

Written from the Fushan pilot report: the community's party organisation leads and
convenes, the owners' committee reviews and supervises on the owners' behalf, the
property company serves and applies; money goes through the escrow account and its
three-step approval; results are published quarterly and scored.
Parties: C = community (社区), O = owners' committee (业委会), P = property company (物业).
"""

DEFAULT_DUTIES: list[dict] = [
    {
        "number": 1,
        "title": "党建引领、统筹协调",
        "description": "社区党组织牵头，依托“社区党组织—小区党支部—楼栋党小组”三级架构，统筹指导业委会和物业服务企业开展工作。",
        "parties": "C",
        "cadence": "ongoing",
    },
    {
        "number": 2,
        "title": "召集三方联席会议",
        "description": "社区每月召集社区、业委会、物业三方联席会议，议题共商、方案共议、落实共督，形成会议纪要。",
        "parties": "COP",
        "cadence": "monthly",
    },
    {
        "number": 3,
        "title": "召开业委会扩大会议",
        "description": "业委会组织召开扩大会议，吸收业主代表参与，听取居民意见，将议事主体从业委会扩大到业主代表。",
        "parties": "O",
        "cadence": "quarterly",
    },
    {
        "number": 4,
        "title": "共管账户管理",
        "description": "居民缴纳的物业费全部进入小区资金共管账户，由三方共同管理，优先保障每月必要成本支出。",
        "parties": "COP",
        "cadence": "ongoing",
    },
    {
        "number": 5,
        "title": "编制预算、提出支出申请",
        "description": "物业按月编制必要成本预算，对每笔支出提出申请，附发票、报价等凭证。",
        "parties": "P",
        "cadence": "monthly",
    },
    {
        "number": 6,
        "title": "支出审核（双人审核）",
        "description": "业委会对物业提出的支出申请进行审核，须两名委员分别签字同意。",
        "parties": "O",
        "cadence": "as_needed",
    },
    {
        "number": 7,
        "title": "支出复核、联签支付",
        "description": "社区对业委会审核通过的支出进行复核，实行联签支付，未经复核不得付款。",
        "parties": "C",
        "cadence": "as_needed",
    },
    {
        "number": 8,
        "title": "收支按季度公示",
        "description": "共管账户收支明细按季度公示，业主可随时查询，接受全体业主监督。",
        "parties": "COP",
        "cadence": "quarterly",
    },
    {
        "number": 9,
        "title": "物业费收缴与入账",
        "description": "物业负责物业费的通知、收缴和票据开具，所收款项如实进入共管账户。",
        "parties": "P",
        "cadence": "monthly",
    },
    {
        "number": 10,
        "title": "环境卫生保洁",
        "description": "负责公共区域、楼道日常清扫保洁，生活垃圾分类收集与清运。",
        "parties": "P",
        "cadence": "daily",
    },
    {
        "number": 11,
        "title": "绿化养护",
        "description": "负责小区绿地、树木的浇灌、修剪、补植和病虫害防治。",
        "parties": "P",
        "cadence": "weekly",
    },
    {
        "number": 12,
        "title": "秩序维护与安全巡查",
        "description": "负责门岗值守、日常巡逻、停车秩序管理和消防安全检查，发现隐患及时处置。",
        "parties": "P",
        "cadence": "daily",
    },
    {
        "number": 13,
        "title": "共用设施设备维修养护",
        "description": "负责电梯、供水、照明、楼道、屋面防水等共用部位和设施设备的维修养护。",
        "parties": "P",
        "cadence": "ongoing",
    },
    {
        "number": 14,
        "title": "报修投诉受理与回访",
        "description": "受理业主报修和投诉，限时响应、跟踪办结并回访；业委会监督办理情况。",
        "parties": "OP",
        "cadence": "ongoing",
    },
    {
        "number": 15,
        "title": "矛盾纠纷调解",
        "description": "社区会同业委会、桂乡管家调解业主与物业、业主之间的矛盾纠纷。",
        "parties": "CO",
        "cadence": "as_needed",
    },
    {
        "number": 16,
        "title": "物业服务量化考核",
        "description": "社区和业委会组织对物业服务进行量化考核和满意度测评，结果与物业费拨付、续聘直接挂钩。",
        "parties": "CO",
        "cadence": "quarterly",
    },
    {
        "number": 17,
        "title": "年度统结统算",
        "description": "年度终了，按考核结果和业主认可情况统结统算，按流程将结余拨付物业，其余留存业主共有资金。",
        "parties": "COP",
        "cadence": "yearly",
    },
    {
        "number": 18,
        "title": "议定事项督办（专职秘书）",
        "description": "专职秘书负责三方沟通联络，跟踪联席会议议定事项的落实，定期通报进展。",
        "parties": "C",
        "cadence": "ongoing",
    },
    {
        "number": 19,
        "title": "业主大会与物业选聘",
        "description": "业委会依法组织召开业主大会，开展物业服务企业选聘、续聘和交接；社区给予指导。",
        "parties": "CO",
        "cadence": "as_needed",
    },
]


def default_duty_items() -> list[dict]:
    """The default items in the shape duty services take."""
    return [
        {
            "number": d["number"],
            "title": d["title"],
            "description": d["description"],
            "by_community": "C" in d["parties"],
            "by_committee": "O" in d["parties"],
            "by_company": "P" in d["parties"],
            "cadence": d["cadence"],
        }
        for d in DEFAULT_DUTIES
    ]
