"""Language detection: the batched detector against py3langid's own classify.

The reference is py3langid's ``LanguageIdentifier`` restricted to ``CANDIDATE_LANGUAGES`` and
applied to each text's first ``SAMPLE_CHARS`` characters, one text at a time.
"""

from __future__ import annotations

import random
import re
import unicodedata
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
import yaml
from py3langid import langid

import pipeline.stages.language as language
from pipeline.stages.language import (
    CANDIDATE_LANGUAGES,
    SAMPLE_CHARS,
    assign_language,
    detect,
    detect_many,
    normalize_code,
)

ROOT = Path(__file__).parents[1]

# One or two sentences in languages besides the four of the relevance fixture.
OTHERS = [
    "قالت وزارة الخارجية القطرية إن الجانبين اتفقا على وقف فوري لإطلاق النار"
    " بعد محادثات في الدوحة.",
    "Министры обороны двух стран подписали соглашение о прекращении огня после переговоров.",
    "Міністри оборони двох країн підписали угоду про припинення вогню після переговорів.",
    "两国国防部长在多哈会谈后签署了立即停火协议，并同意在伊斯坦布尔再次会面。",
    "両国の国防相はドーハでの協議の後、即時停戦に合意し、イスタンブールで再会することにした。",
    "양국 국방장관은 도하 회담 후 즉각적인 휴전에 합의하고 이스탄불에서 다시 만나기로 했다.",
    "दोनों देशों के रक्षा मंत्रियों ने दोहा में बातचीत के बाद तत्काल युद्धविराम पर सहमति जताई।",
    "দুই দেশের প্রতিরক্ষামন্ত্রীরা দোহায় আলোচনার পর অবিলম্বে যুদ্ধবিরতিতে সম্মত হয়েছেন।",
    "Les ministres de la Défense des deux pays ont signé une trêve après une journée de"
    " négociations à Doha.",
    "Die Verteidigungsminister beider Länder unterzeichneten nach Verhandlungen in Doha eine"
    " Waffenruhe.",
    "Los ministros de Defensa de ambos países firmaron una tregua tras un día de negociaciones.",
    "I ministri della Difesa dei due paesi hanno firmato una tregua dopo i negoziati a Doha.",
    "Os ministros da Defesa dos dois países assinaram uma trégua após negociações em Doha.",
    "De ministers van Defensie van beide landen tekenden na onderhandelingen een bestand.",
    "İki ülkenin savunma bakanları Doha'daki görüşmelerin ardından ateşkes anlaşması imzaladı.",
    "Ikki davlat mudofaa vazirlari Dohadagi muzokaralardan so'ng o'q otishni to'xtatishga"
    " kelishdi.",
    "Вазирони мудофиаи ду кишвар пас аз гуфтушунид дар Доҳа оташбасро имзо карданд.",
    "Οι υπουργοί Άμυνας των δύο χωρών υπέγραψαν εκεχειρία μετά τις συνομιλίες στη Ντόχα.",
    "שרי הביטחון של שתי המדינות חתמו על הפסקת אש לאחר שיחות בדוחא.",
    "รัฐมนตรีกลาโหมของทั้งสองประเทศลงนามข้อตกลงหยุดยิงหลังการเจรจาที่โดฮา",
    "Mawaziri wa ulinzi wa nchi hizo mbili walitia saini makubaliano ya kusitisha mapigano.",
    "Các bộ trưởng quốc phòng hai nước đã ký thỏa thuận ngừng bắn sau các cuộc đàm phán.",
    "Menteri pertahanan kedua negara menandatangani gencatan senjata setelah perundingan.",
    "Ministrowie obrony obu krajów podpisali rozejm po negocjacjach w Dosze.",
    "Iki ölkäniň goranmak ministrleri Dohadaky gepleşiklerden soň ýaraşyga gol çekdiler.",
]

EDGE_CASES = [
    None,
    "",
    " ",
    "1234567890 2025-10-01",
    "!!! ??? ... ---",
    "abcdefg",
    "abcdefgh",
    "ABCDEFGH",
    "A1B2C3D4E5F6G7H8",
    "________________",
    "٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹",
    "URGENT: TALKS RESUME IN ISTANBUL TODAY",
    "پاکستان",
    "د پاکستان او افغانستان",
    "🙂🙂🙂 talks 🙂🙂🙂 resume 🙂🙂🙂",
    "https://example.com/news/2025/10/01/story?utm_source=rss",
    "a\u0301e\u0301i\u0301o\u0301u\u0301 re\u0301sume\u0301 cafe\u0301 ",
    "text with a lone surrogate \ud83d in the middle of it",
    "\t\n  Kabul\n\n  Islamabad\t talks\n",
    "x" * 500,
    "ا" * 300,
]


def _relevance_texts() -> list[str]:
    articles = yaml.safe_load(
        (ROOT / "tests" / "data" / "relevance" / "articles.yaml").read_text(encoding="utf-8")
    )
    texts = []
    for article in articles["on_topic"] + articles["off_topic"]:
        texts += [article["title"], article["text"], f"{article['title']}. {article['text']}"]
    return texts


@cache
def _texts() -> list[str | None]:
    """A few hundred varied texts: whole, cut short, all capitals, shuffled, mixed, NFD."""
    rng = random.Random(4)
    base = _relevance_texts() + OTHERS
    texts: list[str | None] = list(base) + list(EDGE_CASES)
    for text in base:
        words = text.split()
        texts.append(text.upper())
        texts.append(text[: rng.randint(8, 40)])
        texts.append(" ".join(rng.sample(words, len(words))))
        texts.append(unicodedata.normalize("NFD", text))
    for _ in range(60):
        first, second = rng.sample(base, 2)
        texts.append(f"{first[: rng.randint(10, 200)]} {second}")
    return texts


@cache
def _reference() -> langid.LanguageIdentifier:
    identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)
    identifier.set_languages(sorted(CANDIDATE_LANGUAGES))
    return identifier


def _expected(text: str | None) -> str | None:
    """py3langid's classify of the sample; None for fewer than 8 letters (the old test)."""
    if not text:
        return None
    sample = text[:SAMPLE_CHARS]
    if len(re.sub(r"[\W\d_]+", "", sample)) < 8:
        return None
    return normalize_code(_reference().classify(sample)[0])


@cache
def _expected_all() -> list[str | None]:
    return [_expected(text) for text in _texts()]


def test_texts_are_varied() -> None:
    codes = set(_expected_all())
    assert len(_texts()) >= 500
    assert {None, "en", "ur", "fa", "ps", "ar", "ru", "zh", "hi", "fr", "tr"} <= codes
    assert len(codes) >= 20


def test_detect_many_equals_py3langid() -> None:
    assert detect_many(_texts()) == _expected_all()


def test_detect_one_at_a_time() -> None:
    texts = _texts()[::25]
    assert [detect(text) for text in texts] == [_expected(text) for text in texts]
    assert detect_many([]) == []


def test_small_blocks_and_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several blocks, groups of mixed widths and a short last group give the same codes."""
    monkeypatch.setattr(language, "_BLOCK", 37)
    monkeypatch.setattr(language, "_GROUP", 5)
    assert detect_many(_texts()) == _expected_all()


def test_fast_path_decides_only_where_it_is_sure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without py3langid's arithmetic for close calls, every other class is still py3langid's."""
    monkeypatch.setattr(language, "_exact_label", lambda model, visited: "close")
    pairs = zip(_texts(), _expected_all(), strict=True)
    samples = [text[:SAMPLE_CHARS] for text, code in pairs if code is not None]
    # py3langid's own preparation: all capitals lowered, NFC, UTF-8.
    got = language._classify_block([_reference()._encode(sample) for sample in samples])
    expected = [_reference().classify(sample)[0] for sample in samples]
    close = sum(code == "close" for code in got)
    assert close <= len(got) // 20
    decided = [(g, e) for g, e in zip(got, expected, strict=True) if g != "close"]
    assert [g for g, _ in decided] == [e for _, e in decided]


def test_exact_path_equals_py3langid(monkeypatch: pytest.MonkeyPatch) -> None:
    """The arithmetic for close calls, used for every text, gives py3langid's codes too."""
    monkeypatch.setattr(language, "_SAFETY", float("inf"))
    calls = []
    exact = language._exact_label

    def counted(model: object, visited: object) -> str:
        calls.append(1)
        return exact(model, visited)  # type: ignore[arg-type]

    monkeypatch.setattr(language, "_exact_label", counted)
    expected = _expected_all()
    assert detect_many(_texts()) == expected
    assert len(calls) == sum(code is not None for code in expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abcdefg",
        "abcdefgh",
        "1a2b3c4d5e6f7g",
        "1a2b3c4d5e6f7g8h",
        "a_b_c_d_e_f_g_h",
        "____abc____def__g",
        "٣ب٤ت٥ث٦ج٧ح٨خ٩د٠ذ",
        "a\u0301b\u0301c\u0301d\u0301e\u0301f\u0301g\u0301",
        "a\u0301b\u0301c\u0301d\u0301e\u0301f\u0301g\u0301h",
        "½¾²³ⅣⅤ五六七八",
        "   ...   x y z w v u t s   ",
    ],
)
def test_usable_counts_letters(text: str) -> None:
    assert language._usable(text) == (len(re.sub(r"[\W\d_]+", "", text)) >= 8)


def test_assign_language_matches_declared_then_py3langid() -> None:
    texts = [t for t in _texts() if t][:120]
    rng = random.Random(7)
    rows = []
    for i, text in enumerate(texts):
        title = rng.choice([None, "", text[:30], "Kabul"])
        body = text if i % 3 else None
        summary = rng.choice([None, text[::-1], "Islamabad talks resume"])
        declared = rng.choice([None, None, None, "", "en-US", "fa-AF", "prs", "PUS", "x-y"])
        rows.append({"title": title, "text": body, "summary": summary, "language": declared})
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        frame[column] = frame[column].astype("string")
    got = assign_language(frame)
    assert str(got["language"].dtype) == "string"
    assert frame["language"].isna().sum() > 0  # the input is left as it was
    # The sample as assign_language has always built it.
    samples = (
        frame["title"].fillna("")
        + ". "
        + frame["text"].fillna(frame["summary"]).fillna("").str.slice(0, SAMPLE_CHARS)
    )
    for row, sample, value in zip(rows, samples, got["language"], strict=True):
        expected = normalize_code(row["language"]) or _expected(sample)
        assert (None if value is pd.NA else value) == expected


def test_the_cached_model_detects_as_the_packaged_one(tmp_path: Path, monkeypatch) -> None:
    """The unpacked model is written to the cache directory once and read from there later;
    detection is the same from either, and a damaged cache file is rebuilt, not trusted."""
    monkeypatch.setenv(language.CACHE_ENV, str(tmp_path))
    texts = [*OTHERS, "Pakistan and Afghanistan agreed to reopen the Torkham crossing."]
    language._model.cache_clear()
    try:
        built = detect_many(texts)
        cached = list(tmp_path.glob("langid-*.npz"))
        assert len(cached) == 1
        language._model.cache_clear()
        with monkeypatch.context() as patched:

            def unpack_again() -> None:
                raise AssertionError("the packaged model was unpacked although cached")

            patched.setattr(language, "_identifier", unpack_again)
            assert detect_many(texts) == built
        cached[0].write_bytes(b"not a model")
        language._model.cache_clear()
        assert detect_many(texts) == built
        assert cached[0].stat().st_size > 1_000_000  # written again in full
    finally:
        language._model.cache_clear()
    assert built == [_expected(text) for text in texts]
