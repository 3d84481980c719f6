"""The Meridian Post (London, English): fictional international coverage for the sample site."""

from __future__ import annotations

from borderwatch.demo.articles import ArticleSpec

ARTICLES: tuple[ArticleSpec, ...] = (
    ArticleSpec(
        outlet="meridian-post",
        number=88377,
        slug="russia-ukraine-delegations-meet-istanbul-prisoner-exchange",
        title="Russian and Ukrainian delegations meet in Istanbul on prisoner exchange",
        author="Elena Varga",
        days_ago=2,
        hours_ago=8,
        summary="Negotiators agreed to swap more prisoners of war but made no progress on a "
        "ceasefire, officials said after the Istanbul meeting.",
        paragraphs=(
            "ISTANBUL - Russian and Ukrainian negotiators met for less than two hours in "
            "Istanbul and agreed to exchange another group of prisoners of war, but officials on "
            "both sides said there had been no movement towards a ceasefire.",
            "The talks at the Ciragan Palace, hosted by the Turkish foreign ministry, were the "
            "first direct contact between the delegations in several months. Turkish officials "
            "described the atmosphere as businesslike.",
            "Ukraine's delegation said it had handed over a list of children it says were taken "
            "to Russia and asked for their return. Moscow's team said it had proposed working "
            "groups on humanitarian issues and on a possible truce along the front line.",
            "European diplomats in Ankara said they did not expect a breakthrough while heavy "
            "fighting continued in the east of Ukraine, where Russian forces have been pressing "
            "towards several towns.",
            "Türkiye, which has kept working relations with both governments, offered to host "
            "further rounds. No date was announced.",
        ),
        section="Europe",
        on_topic=False,
    ),
    ArticleSpec(
        outlet="meridian-post",
        number=88420,
        slug="analysis-what-pakistan-and-the-taliban-want-from-the-talks",
        title="Analysis: What Pakistan and the Taliban each want from the talks",
        author="Imogen Hart",
        days_ago=0,
        hours_ago=3,
        summary="Islamabad wants the TTP reined in; Kabul wants the airstrikes to stop and the "
        "border open. The mediators must bridge the gap.",
        paragraphs=(
            "The monitoring mechanism agreed in Istanbul gives Pakistan and Afghanistan's "
            "Taliban rulers a way to keep talking. It does not settle the question that has "
            "poisoned relations between the former allies: what to do about the Pakistani "
            "Taliban.",
            "For Islamabad, everything flows from the TTP. Pakistani officials say the group's "
            "leaders and fighters shelter in eastern Afghanistan and that attacks in Khyber "
            "Pakhtunkhwa have risen every year since the Taliban took Kabul. They want "
            "written commitments, named targets and a way to check that promises are kept.",
            "The Taliban government, for its part, insists that the TTP is a Pakistani problem "
            "and that Afghan soil is not used against anyone. Its priorities are an end to "
            "Pakistani airstrikes, the reopening of Torkham and Spin Boldak to trade and "
            "transit, and a halt to the mass deportation of Afghan refugees.",
            "Diplomats involved in the negotiations say Qatar and Türkiye have tried to build "
            "trust by separating the issues: a ceasefire first, then verification, then trade "
            "and the refugees. The risk is that a single large attack in Pakistan undoes the "
            "sequence.",
            '"Both sides need this process more than they admit," said a South Asia analyst '
            'at a London think tank. "Pakistan cannot afford a second hot border, and the '
            'Taliban cannot afford to lose their main trade route."',
        ),
        section="Asia",
        subjects=("talks", "ceasefire", "security", "border", "trade", "refugees"),
    ),
    ArticleSpec(
        outlet="meridian-post",
        number=88418,
        slug="china-urges-pakistan-afghanistan-to-reopen-trade-routes",
        title="China urges Pakistan and Afghanistan to reopen trade routes",
        author="Wei Lan",
        days_ago=1,
        hours_ago=2,
        summary="Beijing says it supports the mediation by Qatar and Türkiye and is ready to "
        "help restore trade between its two neighbours.",
        paragraphs=(
            "BEIJING - China has called on Pakistan and Afghanistan to reopen their border "
            "crossings to trade as soon as possible, saying the closure was hurting ordinary "
            "people on both sides and the economic projects that link the region.",
            "A foreign ministry spokesperson in Beijing said China welcomed the ceasefire and "
            "the talks mediated by Qatar and Türkiye, and was ready to play a constructive role. "
            "China is Pakistan's closest ally and one of the few countries to have accepted an "
            "ambassador from the Taliban government.",
            "Beijing has long wanted to extend the China-Pakistan Economic Corridor into "
            "Afghanistan, and Chinese companies hold mining contracts in the country. Officials "
            "have hosted several trilateral meetings of foreign ministers in recent years.",
            "Chinese firms working in Pakistan have been targeted by militants, and Beijing has "
            "pressed both Islamabad and Kabul to act against armed groups, including those that "
            "move across the border.",
            "Trade analysts said the closure of Torkham and Chaman had also held up Chinese "
            "goods moving to Afghanistan by road through Pakistan, and that Chinese exporters "
            "were looking at routes through Central Asia instead.",
        ),
        section="Asia",
        subjects=("trade", "border", "talks", "ceasefire"),
    ),
    ArticleSpec(
        outlet="meridian-post",
        number=88403,
        slug="gaza-mediators-in-doha-press-for-second-phase-of-truce",
        title="Gaza: mediators in Doha press for second phase of truce",
        author="Karim Haddad",
        days_ago=1,
        hours_ago=10,
        summary="Qatari, Egyptian and US officials met negotiators in Doha to push the Gaza "
        "ceasefire into its next phase.",
        paragraphs=(
            "DOHA - Mediators from Qatar, Egypt and the United States met Israeli and Hamas "
            "negotiators separately in Doha in an effort to move the Gaza ceasefire into its "
            "second phase, officials familiar with the talks said.",
            "The second phase is meant to cover the withdrawal of Israeli forces from more of "
            "the territory, the deployment of an international stabilisation force and the "
            "future governance of Gaza, issues on which the two sides remain far apart.",
            "Qatar's foreign ministry spokesman said the mediators were \"working around the "
            'clock" and that the ceasefire was holding despite violations. Aid agencies said '
            "the number of lorries entering Gaza had increased but was still below what was "
            "needed.",
            "Hamas officials said they would not discuss disarmament before a clear timetable "
            "for an Israeli withdrawal. Israel said the group must hand over the remains of all "
            "hostages before any further steps.",
            "Diplomats in Doha said a meeting at a more senior level could be held in Cairo "
            "next week if the technical teams made progress.",
        ),
        section="Middle East",
        on_topic=False,
    ),
    ArticleSpec(
        outlet="meridian-post",
        number=88408,
        slug="pakistan-afghanistan-delegations-meet-in-istanbul",
        title="Pakistan and Afghanistan delegations meet in Istanbul as talks resume",
        author="Selin Aydin",
        days_ago=2,
        hours_ago=9,
        summary="Security officials from both countries began a new round of talks under "
        "Turkish and Qatari mediation to consolidate the Doha ceasefire.",
        paragraphs=(
            "ISTANBUL - Delegations from Pakistan and Afghanistan's Taliban government began a "
            "new round of talks in Istanbul aimed at turning the ceasefire agreed in Doha into "
            "a lasting arrangement, Turkish officials said.",
            "The meeting, held at a government guesthouse on the Bosphorus, was attended by "
            "officials from the Turkish and Qatari foreign ministries and intelligence "
            "services. It was scheduled to last three days.",
            "Pakistan's team is made up mostly of military and intelligence officials, "
            "reflecting Islamabad's focus on militants it says attack Pakistan from Afghan "
            "territory. The Afghan delegation includes officials from the interior and "
            "foreign ministries.",
            "A Turkish diplomat said the first day was spent agreeing the agenda, which covers "
            "a mechanism to verify the truce, security cooperation, the reopening of the "
            "crossings and the return of Afghan refugees.",
            "The two neighbours fought their heaviest border battles in years before the Doha "
            "agreement, with Pakistan carrying out airstrikes in Afghanistan and Taliban forces "
            "attacking Pakistani posts along the frontier. Both sides have accused each other "
            "of violations since the ceasefire began.",
        ),
        section="Asia",
        subjects=("talks", "ceasefire", "security", "border", "refugees"),
    ),
    ArticleSpec(
        outlet="meridian-post",
        number=88399,
        slug="afghan-women-deported-from-pakistan-face-closed-classrooms",
        title="Afghan women deported from Pakistan face closed classrooms at home",
        author="Imogen Hart",
        days_ago=3,
        hours_ago=2,
        summary="Young women who studied in Pakistani schools and universities lose their "
        "education on return to Afghanistan.",
        paragraphs=(
            "JALALABAD - Marzia was in her second year of a nursing degree in Peshawar when "
            "police came to her family's door. Within a week they had crossed back into "
            "Afghanistan, where the Taliban government bars women from universities.",
            "She is one of thousands of young Afghan women whose education has ended with "
            "Pakistan's deportation drive, according to aid groups that work with returnees. "
            "Many were born in Pakistan and had never lived in Afghanistan.",
            '"In Pakistan I was a refugee, but I was a student. Here I am only a refugee," '
            "she said in a rented room in Jalalabad, where her family of nine now lives.",
            "The UN refugee agency has urged Pakistan to exempt students and women at risk from "
            "the deportations, which were stepped up after relations between the two "
            "governments collapsed into armed clashes along the border.",
            "Pakistani officials say the campaign targets all foreigners without legal status "
            "and that registered students can apply for visas. Rights groups say the process "
            "is slow and expensive, and that few applications have been approved.",
        ),
        section="Asia",
        subjects=("refugees",),
    ),
    ArticleSpec(
        outlet="meridian-post",
        number=88390,
        slug="thailand-cambodia-agree-to-extend-border-ceasefire",
        title="Thailand and Cambodia agree to extend border ceasefire",
        author="Somchai Prasert",
        days_ago=3,
        hours_ago=6,
        summary="Defence officials of the two countries agreed to keep troops apart and invite "
        "observers to disputed border areas.",
        paragraphs=(
            "KUALA LUMPUR - Thailand and Cambodia agreed to extend the ceasefire along their "
            "disputed border and to allow regional observers to visit areas where fighting "
            "broke out earlier this year, officials said after talks in the Malaysian capital.",
            "The defence officials of the two countries said they would withdraw heavy weapons "
            "from the front line, clear landmines near the ancient temples at the centre of the "
            "dispute and reopen some border crossings to local traders.",
            "Malaysia, which holds the chair of the regional bloc, hosted the meeting. Its "
            'foreign minister said the agreement showed that "neighbours can solve their '
            'problems at the table".',
            "Tens of thousands of villagers on both sides fled during the clashes, which "
            "involved artillery and air power. Most have since returned home, but schools near "
            "the border remain closed.",
            "Nationalist groups in both countries criticised the deal. The Thai government said "
            "it had not given up any territory and that the border would be settled by a joint "
            "boundary commission.",
        ),
        section="Asia",
        on_topic=False,
    ),
    ArticleSpec(
        outlet="meridian-post",
        number=88396,
        slug="torkham-closure-strands-afghan-patients-seeking-treatment-in-peshawar",
        title="Torkham closure strands Afghan patients seeking treatment in Peshawar",
        author="Selin Aydin",
        days_ago=4,
        hours_ago=6,
        summary="Patients who relied on Pakistani hospitals for cancer care and surgery are "
        "turned back at the crossing.",
        paragraphs=(
            "TORKHAM - Every morning, dozens of Afghan patients and their relatives gather at "
            "the Torkham crossing in the hope of being allowed into Pakistan for treatment, "
            "and every morning most of them are turned back.",
            "For decades, hospitals in Peshawar have treated Afghans with cancer, heart disease "
            "and injuries that hospitals in eastern Afghanistan cannot manage. Since the "
            "crossing closed after the clashes, only a few medical cases a day have been "
            "allowed through.",
            "\"The doctor in Peshawar told us to come back in two weeks for my father's "
            'chemotherapy. That was a month ago," said a young man from Laghman, holding an '
            "envelope of scans.",
            "Pakistani officials said patients with valid medical visas were being let in on "
            "humanitarian grounds, but that the border remained closed for general travel "
            "and trade until security guarantees were agreed.",
            "Doctors at a Jalalabad hospital said they were seeing more advanced cases than "
            "before. The International Committee of the Red Cross said it was discussing with "
            "both governments a way to keep medical travel open regardless of the talks.",
        ),
        section="Asia",
        subjects=("border", "talks"),
    ),
    ArticleSpec(
        outlet="meridian-post",
        number=88384,
        slug="qatar-turkiye-urge-pakistan-afghanistan-to-keep-truce",
        title="Qatar and Türkiye urge Pakistan and Afghanistan to keep truce ahead of new talks",
        author="Karim Haddad",
        days_ago=4,
        hours_ago=1.5,
        summary="The mediators call on both sides to avoid provocations before delegations meet "
        "again in Istanbul.",
        paragraphs=(
            "DOHA - Qatar and Türkiye urged Pakistan and Afghanistan to show restraint and "
            "respect the ceasefire they agreed in Doha, as the two countries traded accusations "
            "ahead of a new round of talks in Istanbul.",
            "In a joint statement, the two mediators said they were in close contact with both "
            'governments and that the coming talks would focus on "mechanisms to consolidate '
            'the ceasefire and ensure its sustainability".',
            "Pakistan's military has accused Taliban forces of firing on its posts, while the "
            "Afghan defence ministry said Pakistani drones had been seen over Khost and "
            "Paktika. Neither claim could be independently confirmed.",
            "The ceasefire was reached after a week of the deadliest fighting between the two "
            "countries in years, including Pakistani airstrikes near Kabul and in Paktika and "
            "Taliban attacks on border posts. The defence ministers of both countries signed "
            "the Doha agreement.",
            "Diplomats said the mediators hoped to persuade the delegations to agree on a "
            "written text in Istanbul, something Pakistan has demanded and the Taliban have so "
            "far resisted.",
        ),
        section="Asia",
        subjects=("talks", "ceasefire", "security"),
    ),
    ArticleSpec(
        outlet="meridian-post",
        number=88371,
        slug="exchange-of-fire-near-angoor-adda-tests-pakistan-afghanistan-truce",
        title="Exchange of fire near Angoor Adda tests Pakistan-Afghanistan truce",
        author="Trans-Asia Press",
        days_ago=5,
        hours_ago=6,
        summary="Each side blames the other for a night-time clash on the border between South "
        "Waziristan and Paktika.",
        paragraphs=(
            "ISLAMABAD/KABUL (TAP) - Pakistani and Afghan forces exchanged fire near the Angoor "
            "Adda border crossing overnight, officials on both sides said, in the most serious "
            "test yet of the ceasefire agreed in Doha.",
            "A Pakistani security official said Taliban fighters fired at a border post in South "
            "Waziristan to cover an attempt by militants to cross into Pakistan, and that "
            "troops responded. The official said no Pakistani soldiers were killed.",
            "A spokesman for the Afghan defence ministry said Pakistani forces had opened fire "
            "first on a checkpoint in Barmal district of Paktika, wounding two Afghan border "
            "guards. He said Afghan forces had acted in self-defence.",
            "Residents on the Pakistani side said the firing lasted about two hours and that "
            "families in villages near the crossing had sheltered indoors. The crossing has "
            "been closed to traffic since the border clashes.",
            "Officials of both countries said they remained committed to the truce and to the "
            "talks planned in Istanbul. The mediators, Qatar and Türkiye, did not comment on "
            "the incident.",
        ),
        section="Asia",
        subjects=("security", "ceasefire", "border", "talks"),
    ),
)
