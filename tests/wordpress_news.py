"""Ground truth for the real-WordPress tests: 130 news posts, the same on every run.

Posts have several authors, one category each, tags, comments, edits made after publishing
(`wp_update_post`), an agency credit line like the one a real hub prints ("… has translated this
news from the source of Tasnim News Agency"), and some are in Persian or Arabic. Pages and
attachments are seeded too: none of them may be stored as an article.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

USERS = [
    {"login": "sara", "display_name": "Sara Ahmadi"},
    {"login": "reza", "display_name": "Reza Karimi"},
    {"login": "lina", "display_name": "Lina Haddad"},
    {"login": "omid", "display_name": "Omid Rostami"},
    {"login": "maryam", "display_name": "مریم حسینی"},
]
CATEGORIES = ["International", "Economy", "Politics", "Sports", "Culture", "Science"]
TAGS = [
    "Russia", "North Korea", "Energy", "Oil", "Football", "Elections", "Climate", "Trade",
    "Diplomacy", "Cinema", "Space", "Health", "Markets", "Asia", "Europe", "تهران", "اقتصاد",
]  # fmt: skip
AGENCIES = {  # credit name as printed -> the name newshub normalizes it to
    "Tasnim News Agency": "Tasnim News Agency",
    "IRNA": "IRNA",
    "Mehr News Agency": "Mehr News Agency",
    "ISNA": "ISNA",
    "Fars News Agency": "Fars News Agency",
}
_PERSIAN_AGENCIES = {"خبرگزاری تسنیم": "Tasnim News Agency", "خبرگزاری مهر": "Mehr News Agency"}
_SUBJECTS = [
    "The foreign minister", "The central bank", "A delegation of engineers", "The national team",
    "Parliament's energy committee", "The state oil company", "A group of researchers",
    "The city council", "The health ministry", "Regional leaders", "The film festival jury",
    "Exporters of dried fruit", "The space agency", "Wheat farmers", "The port authority",
]  # fmt: skip
_VERBS = [
    "announced a new plan for", "signed an agreement on", "warned about delays in",
    "presented a report on", "opened talks about", "approved the budget for",
    "criticised the handling of", "celebrated progress in", "asked for support with",
]  # fmt: skip
_OBJECTS = [
    "cross-border trade", "the winter gas supply", "the next qualifying round",
    "regional railway links", "vaccine production", "the currency market", "rural water projects",
    "the satellite launch", "film co-productions", "port capacity", "solar power stations",
    "the wheat harvest", "tourism in the north", "student exchanges",
]  # fmt: skip
_DETAILS = [
    "Officials said the first results would be visible within the coming months.",
    "The decision follows several weeks of negotiations between the parties involved.",
    "Critics argued that the timetable was too ambitious for the available budget.",
    "Local businesses welcomed the news and expect more customers next season.",
    "According to the statement, the measures will be reviewed at the end of the year.",
    "Experts interviewed by reporters described the step as long overdue.",
    "The plan includes training programmes for young workers in three provinces.",
    "Further meetings are scheduled for next week in the capital.",
]  # fmt: skip
_FA_SENTENCES = [
    "وزیر امور خارجه امروز در نشستی خبری از برنامه تازه همکاری های منطقه ای خبر داد.",
    "به گفته کارشناسان این تصمیم می تواند بر بازار ارز و قیمت کالاها اثر بگذارد.",
    "نمایندگان مجلس گزارش کمیسیون انرژی را درباره تامین گاز زمستانی بررسی کردند.",
    "تیم ملی فوتبال برای دیدار آینده مقدماتی جام جهانی آماده می شود.",
    "پژوهشگران دانشگاه تهران از ساخت نمونه تازه ای از ماهواره های کوچک خبر دادند.",
]  # fmt: skip
_AR_SENTENCES = [
    "أعلن وزير الخارجية اليوم عن خطة جديدة لتعزيز التعاون الاقتصادي في المنطقة.",
    "وقال الخبراء إن هذه الخطوة ستساعد على تحسين حركة التجارة بين البلدين.",
    "وناقش المشاركون في الاجتماع مشاريع الطاقة الشمسية والنقل بالسكك الحديدية.",
    "ومن المقرر أن تعقد جولة جديدة من المحادثات في الأسبوع المقبل.",
]  # fmt: skip


def _paragraph(rng: random.Random, lang: str) -> str:
    if lang == "fa":
        return " ".join(rng.sample(_FA_SENTENCES, 3))
    if lang == "ar":
        return " ".join(rng.sample(_AR_SENTENCES, 3))
    lead = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}."
    return " ".join([lead, *rng.sample(_DETAILS, 3)])


def _paragraphs(rng: random.Random, lang: str) -> list[str]:
    """3 to 6 different paragraphs (a page repeating a paragraph is not what we test here)."""
    wanted, out = rng.randint(3, 6), []
    while len(out) < wanted:
        text = _paragraph(rng, lang)
        if text not in out:
            out.append(text)
    return out


def _blocks(paragraphs: list[str]) -> str:
    return "\n\n".join(
        f"<!-- wp:paragraph -->\n<p>{text}</p>\n<!-- /wp:paragraph -->" for text in paragraphs
    )


def _credit(rng: random.Random, lang: str) -> tuple[str | None, str | None]:
    """The credit line a hub appends and the agency newshub should read from it."""
    if rng.random() < 0.15:
        return None, None
    if lang == "fa":
        printed = rng.choice(sorted(_PERSIAN_AGENCIES))
        return f"این خبر از منبع {printed} ترجمه و بازنشر شده است", _PERSIAN_AGENCIES[printed]
    printed = rng.choice(sorted(AGENCIES))
    line = f"© Webangah News Hub has translated this news from the source of {printed}"
    return line, AGENCIES[printed]


def news_posts(count: int = 130, seed: int = 11) -> list[dict[str, Any]]:
    """Posts to seed, each with the fields newshub must read back (title, body, …, agency)."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    posts = []
    for n in range(count):
        lang = "fa" if n % 10 == 3 else "ar" if n % 15 == 7 else "en"
        if lang == "fa":
            title = f"{rng.choice(_FA_SENTENCES).split(' ', 6)[-1][:40]} شماره {n + 1}"
        elif lang == "ar":
            title = f"{rng.choice(_AR_SENTENCES)[:40]} رقم {n + 1}"
        else:
            title = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} ({n + 1})"
        paragraphs = _paragraphs(rng, lang)
        line, agency = _credit(rng, lang)
        category = rng.choice(CATEGORIES)
        tags = rng.sample(TAGS, rng.randint(0, 4))
        author = rng.choice(USERS)
        published = start + timedelta(hours=n * 13 + rng.randint(0, 9), minutes=rng.randint(0, 59))
        content = _blocks(paragraphs + ([line] if line else []))
        post: dict[str, Any] = {
            "key": f"post-{n + 1}",
            "title": title,
            "content": content,
            "author": author["login"],
            "category": category,
            "tags": tags,
            "date_gmt": published.strftime("%Y-%m-%d %H:%M:%S"),
            "comments": [
                f"Reader comment {i + 1} on story {n + 1}: thanks for the report."
                for i in range(rng.randint(0, 3))
            ],
            "edit": {},
            "lang": lang,
        }
        if n % 9 == 4:  # edited after publishing: a corrected title and an added paragraph
            title = f"{title} (updated)"
            paragraphs = [*paragraphs, "Update: this story was corrected after publication."]
            post["edit"] = {
                "post_title": title,
                "post_content": _blocks(paragraphs + ([line] if line else [])),
            }
        post["truth"] = {
            "title": title,
            "paragraphs": paragraphs,
            "author": author["display_name"],
            "category": category,
            "tags": tags,
            "published": published,
            "agency": agency,
            "lang": lang,
        }
        posts.append(post)
    return posts


EXTRAS: dict[str, Any] = {
    "users": USERS,
    "categories": CATEGORIES,
    "attachments": [f"Photo of the day {n}" for n in range(1, 6)],
    "pages": [
        {"title": "About us", "content": _blocks(["Webangah News Hub translates world news."])},
        {"title": "Contact", "content": _blocks(["Write to the editors at desk@example.com."])},
        {
            "title": "Editors' picks",
            "content": _blocks(["Stories our editors recommend."]),
            "links_other_urls": 5,
        },
        {
            "title": "Photo gallery",
            "content": _blocks(["Our photographers' pictures of the week."]),
            "links_attachments": True,
        },
    ],
}


def seed_spec(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What wordpress_seed.php reads: the posts without their ground truth."""
    return [{k: v for k, v in post.items() if k != "truth"} for post in posts]
