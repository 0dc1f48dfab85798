"""Pollution types for everyday phrasings the first lexicon missed: smells named by what they
smell of, loud sounds described by ear, land and sea words, missing dust control, and words that
only count in the right company (泡沫, 破碎, 开挖, 边角料, 污泥)."""

from __future__ import annotations

import pytest

from bot.extraction import extract


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # smells and smoke
        ("厂里一到晚上就飘出一股化学味，闻着头晕", {"大气"}),
        ("家具厂刷胶水，胶水味整条街都是", {"大气"}),
        ("加油站旁边汽油味很重", {"大气"}),
        ("隔壁作坊熬东西，味道特别冲", {"大气"}),
        ("锅炉房的烟囱冒出灰色的烟", {"大气"}),
        ("炭火烤鸭的炉子烟很大，窗户都不敢开", {"大气"}),
        ("车间往外排刺激性的气体，大家嗓子疼", {"大气"}),
        ("那家店油烟直排，对着居民窗户", {"大气"}),
        # dust: a missing cover is the complaint, not a negation of it
        ("工地土方没有盖防尘网，刮风就起灰", {"大气"}),
        ("拆楼的时候尘土满天，周边窗台全是灰", {"大气"}),
        ("渣土车带泥上路，路面脏得很", {"大气"}),
        # water
        ("洗车店的泥水直接流到路上，夏天臭烘烘", {"水"}),
        ("屠宰场的血水流到村里的水渠里", {"水"}),
        ("化工厂排洪沟里的水是乳白色的", {"水"}),
        ("半夜有人往河里放东西，河面上一层白沫，味道很难闻", {"水"}),
        # noise
        ("泵车整夜轰轰响，根本没法睡觉", {"噪声"}),
        ("楼上砸墙，敲得咚咚的", {"噪声"}),
        ("麻将馆里吵架声、麻将声到凌晨", {"噪声"}),
        ("婚庆放音乐放礼炮，从早上闹到中午", {"噪声"}),
        ("冲床一直响到深夜", {"噪声"}),
        ("工地破碎机从早响到晚", {"噪声"}),
        ("餐馆晚上不吵，就是烟特别大", {"大气"}),
        ("我们不担心辐射，是基站散热风扇声音太大", {"噪声"}),
        # land, waste, ecology, sea, radiation, other
        ("农药厂边上的菜地种啥都不长，土地被污染了", {"土壤"}),
        ("有人把钢渣铺进承包地，地都板结了", {"土壤"}),
        ("有人收废旧电瓶，拆完把东西随地扔", {"固废"}),
        ("路边倾倒了大量废旧轮胎和泡沫", {"固废"}),
        ("电镀污泥装在编织袋里随便堆在路边", {"固废"}),
        ("印染厂的锅炉烧木头边角料，冒出的烟很呛", {"大气"}),
        ("修路开挖后土堆不盖，车一过尘土飞扬", {"大气"}),
        ("有人在草场上开垦种地", {"生态"}),
        ("酒店的污水往海里排", {"水", "海洋"}),
        ("对面楼顶装了运营商的天线", {"辐射"}),
        ("这个厂没有任何环保手续就开工了", {"其他"}),
        ("这边空气质量还可以，就是路边的装修垃圾长期没人清理", {"固废"}),
    ],
)
def test_categories(text: str, expected: set[str]) -> None:
    assert set(extract(text).categories) == expected
