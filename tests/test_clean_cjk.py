"""Articles in scripts without spaces between words are counted by their characters,
so a complete Chinese, Japanese or Thai article is never "too short"."""

from datetime import date

import pytest
from newsflow.clean import clean_document
from newsflow.clean.metadata import normalise_text
from newsflow.clean.words import count_words
from newsflow.records import RawDoc, Reject

DAY = date(2024, 5, 14)

ZH = [
    "新华社北京5月13日电 国家统计局13日发布数据显示，4月份全国居民消费价格同比上涨0.3%，"
    "涨幅比上月扩大0.2个百分点。其中，城市上涨0.3%，农村上涨0.2%；食品价格下降2.7%，"
    "非食品价格上涨0.9%。",
    "国家统计局城市司首席统计师表示，4月份，受部分地区天气转暖、出行需求增加等因素影响，"
    "交通出行和旅游价格有所上涨，飞机票和旅游价格分别上涨4.1%和2.3%。",
    "专家认为，随着扩大内需政策持续发力，消费市场将保持恢复态势，物价水平有望温和回升。"
    "分析人士指出，下一阶段宏观政策仍需加大力度，巩固经济回升向好的基础。",
]
JA = [
    "東京（共同）気象庁は13日、関東甲信地方が梅雨入りしたとみられると発表した。"
    "平年より7日早く、昨年より12日早い。今後1週間は曇りや雨の日が多くなる見込みだという。",
    "気象庁によると、本州の南に停滞する前線の影響で、関東地方では13日朝から雨が降り続いた。"
    "東京都心の最高気温は20度と、前日より5度ほど低くなった。",
    "同庁は、大雨による土砂災害や河川の増水に注意するよう呼びかけている。"
    "農業関係者からは、田植えを終えたばかりの水田への影響を心配する声も上がった。",
]
TH = [
    "กรุงเทพฯ กรมอุตุนิยมวิทยาประกาศว่าประเทศไทยเข้าสู่ฤดูฝนอย่างเป็นทางการแล้วในวันจันทร์ "
    "โดยคาดว่าจะมีฝนตกหนักในหลายพื้นที่ทางภาคเหนือและภาคตะวันออกเฉียงเหนือตลอดสัปดาห์นี้",
    "เจ้าหน้าที่แนะนำให้ประชาชนติดตามข่าวสารอย่างใกล้ชิดและระมัดระวังน้ำท่วมฉับพลัน ในพื้นที่ลุ่มต่ำและบริเวณใกล้แม่น้ำ",
]


def test_count_words_by_characters_for_unspaced_scripts() -> None:
    assert count_words("Stocks rose on Tuesday.") == 4  # spaced text: unchanged
    zh = "".join(ZH)
    assert len(zh.split()) <= 3  # what the old count saw
    assert 100 <= count_words(zh) <= len(zh)  # about one word per 1.6 characters
    ja = "".join(JA)
    assert 100 <= count_words(ja) <= len(ja)
    assert 30 <= count_words(" ".join(TH)) <= 90
    # mixed tokens: the spaced pieces count too, and a run is at least one word
    assert count_words("iPhone発売") == 3
    assert count_words("2024年") == 2


@pytest.mark.parametrize("paras", [ZH, JA, TH], ids=["zh", "ja", "th"])
def test_complete_unspaced_article_is_not_too_short(paras: list[str]) -> None:
    text = "\n\n".join(paras)
    art = clean_document(RawDoc("a.txt", "text", text, text.encode()), day=DAY, min_words=20)
    assert not isinstance(art, Reject), art
    # every paragraph is prose, none is chrome (fullwidth punctuation is normalised)
    assert art["text"].split("\n") == [normalise_text(p) for p in paras]
    assert art["word_count"] >= 20
    html = (
        "<html><head><title>新闻</title></head><body><nav><a href='/'>首页</a></nav><article>"
        + "".join(f"<p>{p}</p>" for p in paras)
        + "</article></body></html>"
    )
    art = clean_document(RawDoc("a.html", "html", html, html.encode()), day=DAY, min_words=20)
    assert not isinstance(art, Reject), art
    assert normalise_text(paras[-1]) in art["text"]


def test_a_short_unspaced_note_is_still_too_short() -> None:
    note = "今日は晴れ。"
    rej = clean_document(RawDoc("n.txt", "text", note, note.encode()), day=DAY, min_words=20)
    assert isinstance(rej, Reject) and rej.code == "too_short"
