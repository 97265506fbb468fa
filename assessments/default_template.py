"""The street office's default assessment template (物业服务量化考核细则), 100 points.

Written from the pilot's seven areas: general management, buildings and equipment,
order and safety, cleaning, greening, customer service and repairs, owners'
satisfaction. ``duty`` is the number of the duty (of the 19 in
``communities/default_duties.py``) the item checks, where one applies.
"""

DEFAULT_TITLE = "物业服务量化考核细则"

DEFAULT_SECTIONS: list[dict] = [
    {
        "title": "综合管理",
        "items": [
            (
                "服务事项与收费标准公示",
                5,
                "小区公示栏、业主群公示服务内容、收费标准、投诉电话；缺一项扣1分。",
                8,
            ),
            (
                "人员配置与持证上岗",
                4,
                "项目经理、电工、消防值班人员持证上岗，统一着装；发现一人无证扣1分。",
                None,
            ),
            (
                "支出申请资料齐全、按时报送",
                6,
                "必要成本与维修支出按月提出申请，发票、合同齐全；退回补正一次扣1分。",
                5,
            ),
        ],
    },
    {
        "title": "房屋及设施设备",
        "items": [
            (
                "房屋共用部位巡查维护",
                6,
                "每周巡查楼道、屋面、外墙并有记录；渗漏、破损未在时限内处理的每处扣1分。",
                13,
            ),
            (
                "电梯运行与维保",
                7,
                "电梯按期维保、年检合格，困人30分钟内到场；停梯超24小时未告知的扣3分。",
                13,
            ),
            ("消防设施完好", 7, "消防栓、灭火器、应急照明完好，消防通道畅通；每发现一处失效扣1分。", 12),
        ],
    },
    {
        "title": "秩序维护与安全",
        "items": [
            ("门岗值守与访客登记", 5, "出入口24小时值守，外来人员、车辆登记；脱岗一次扣2分。", 12),
            ("安全巡逻与监控", 5, "夜间巡逻不少于两次并有记录，监控设备正常运行；监控缺失每处扣1分。", 12),
            ("车辆停放秩序", 5, "机动车、非机动车有序停放，消防通道无占用；发现占用未处理的扣2分。", 12),
        ],
    },
    {
        "title": "环境卫生",
        "items": [
            (
                "公共区域清扫保洁",
                6,
                "楼道、电梯轿厢、道路每日清扫，无积尘、无乱张贴；抽查不合格每处扣1分。",
                10,
            ),
            ("垃圾分类与清运", 5, "垃圾日产日清，分类投放点整洁无异味；满溢一次扣1分。", 10),
            ("二次供水与化粪池清理", 4, "二次供水水箱每半年清洗消毒并公示水质报告，化粪池定期清掏。", 10),
        ],
    },
    {
        "title": "绿化养护",
        "items": [
            ("绿地修剪与补种", 6, "草坪、灌木定期修剪，枯死苗木及时补种；黄土裸露每处扣1分。", 11),
            ("病虫害防治", 4, "按季节防治病虫害，施药前公告；未公告施药扣2分。", 11),
        ],
    },
    {
        "title": "客户服务与报修",
        "items": [
            ("报修响应及时", 6, "急修24小时、一般72小时内完成；超时工单按比例扣分（参考客观数据）。", 14),
            ("投诉处理与回访", 5, "投诉3日内答复，办结后回访；未回访每件扣1分。", 14),
            ("维修质量", 4, "维修后业主确认，返修率低；同一问题返修两次以上每件扣1分。", 14),
        ],
    },
    {
        "title": "业主满意度",
        "items": [
            ("业主意见征集与整改", 5, "每季度征集业主意见，整改情况公示；未公示扣2分。", 16),
            ("配合社区与业委会工作", 5, "按时参加联席会议，落实议定事项；议定事项逾期未落实每件扣1分。", 2),
        ],
    },
]


def default_template_sections() -> list[dict]:
    """The default as the structure ``assessment_template_publish`` takes."""
    return [
        {
            "title": section["title"],
            "items": [
                {"title": title, "max_points": points, "guidance": guidance, "duty_number": duty}
                for title, points, guidance, duty in section["items"]
            ],
        }
        for section in DEFAULT_SECTIONS
    ]
