"""The Khyber Ledger (Peshawar, English): fictional Pakistani coverage for the sample site."""

from __future__ import annotations

from borderwatch.demo.articles import ArticleSpec

ARTICLES: tuple[ArticleSpec, ...] = (
    ArticleSpec(
        outlet="khyber-ledger",
        number=20431,
        slug="torkham-traders-count-losses-as-crossing-stays-shut",
        title="Torkham traders count losses as crossing stays shut for another day",
        author="Farhat Ullah Khalil",
        days_ago=0,
        hours_ago=2,
        summary="Hundreds of lorries are still parked on both sides of Torkham as exporters in "
        "Peshawar wait for the border crossing to reopen.",
        paragraphs=(
            "LANDI KOTAL: Drivers parked along the Peshawar-Torkham highway spent another night "
            "in their cabs as the main crossing between Pakistan and Afghanistan "
            "remained closed to trade, with no date given for its reopening.",
            "Customs officials at Torkham said more than 1,100 loaded vehicles were waiting on "
            "the Pakistani side, about a third of them carrying fruit, vegetables and medicines "
            "that cannot wait long. On the Afghan side, transporters said a similar queue "
            "stretched back towards Landi Khana.",
            '"Every day costs me the price of a tyre," said Gul Rehman, who has driven the '
            "route for twenty years. He said tomatoes loaded in Peshawar had already been "
            "dumped by the roadside because they had started to rot.",
            "The Pak-Afghan Joint Chamber of Commerce estimates that the closure has cost "
            "traders on both sides several million dollars a week. Its office-bearers have "
            "asked both governments to keep trade separate from security disputes and to "
            "reopen the crossing for perishable goods at least.",
            "Officials in Islamabad have said the crossing will open once the ceasefire holds "
            "and the talks produce guarantees on cross-border attacks. Pedestrian movement of "
            "Afghans returning home continued under a separate arrangement, officials said.",
        ),
        section="Khyber Pakhtunkhwa",
        subjects=("border", "trade"),
    ),
    ArticleSpec(
        outlet="khyber-ledger",
        number=20388,
        slug="inflation-eases-for-third-month-sbp-holds-rate",
        title="Inflation eases for a third month as central bank holds policy rate",
        author="Sadia Rauf",
        days_ago=3,
        hours_ago=5,
        summary="Consumer prices rose more slowly again, and the State Bank kept its policy rate "
        "unchanged, citing risks from energy prices.",
        paragraphs=(
            "KARACHI: Pakistan's consumer price inflation slowed for the third month running, "
            "official data showed, as food prices fell and the effect of last year's electricity "
            "tariff increases faded from the annual comparison.",
            "The State Bank of Pakistan nevertheless kept its policy rate unchanged at its "
            "meeting, saying that the gains were fragile and that the next round of gas price "
            "adjustments could push prices up again early next year.",
            "Analysts at two Karachi brokerages said the decision was expected. They said the "
            "central bank wanted to see the current account stay in surplus and the foreign "
            "exchange reserves keep growing before it resumed cutting rates.",
            "Business groups were less patient. The Karachi Chamber of Commerce said that high "
            "borrowing costs were holding back investment in textiles and engineering and asked "
            "for a cut of at least two percentage points.",
            "The finance ministry said it expected growth to pick up in the second half of the "
            "fiscal year as large-scale manufacturing recovered and remittances from Pakistanis "
            "working in the Gulf remained strong.",
        ),
        section="Business",
        on_topic=False,
    ),
    ArticleSpec(
        outlet="khyber-ledger",
        number=20425,
        slug="fo-says-next-round-depends-on-verifiable-action-against-ttp",
        title="FO says next round with Kabul depends on verifiable action against TTP",
        author="Ayesha Qureshi",
        days_ago=0,
        hours_ago=5,
        summary="The Foreign Office says Pakistan will judge the Afghan Taliban by action on the "
        "ground, not by assurances, before the talks resume.",
        paragraphs=(
            "ISLAMABAD: Pakistan will go into the next round of talks with Afghanistan's Taliban "
            "government looking for proof that Kabul has acted against the Tehreek-e-Taliban "
            "Pakistan, the Foreign Office spokesman said at the weekly press briefing.",
            '"We have heard assurances many times. What we need now is verifiable action that '
            'can be checked by the mechanism both sides have accepted," the spokesman said. He '
            "said Pakistan had shared with the mediators a list of TTP commanders it says live "
            "in eastern Afghanistan.",
            "The spokesman said Islamabad valued the role of Qatar and Türkiye and had no "
            "quarrel with the Afghan people. He declined to say when the delegations would meet "
            "again, saying only that the dates were being worked out with the hosts.",
            "Asked about the closure of the border crossings, he said the decision to reopen "
            'Torkham and Chaman for trade would be taken "in light of the security situation" '
            "and that movement of Afghan nationals returning home was not affected.",
            "Security officials in Islamabad say the number of militant attacks in Khyber "
            "Pakhtunkhwa has fallen since the ceasefire, but that cross-border infiltration "
            "attempts have not stopped. Kabul denies that its territory is used against "
            "Pakistan and says the TTP is Pakistan's internal problem.",
        ),
        subjects=("talks", "security", "ceasefire", "border"),
    ),
    ArticleSpec(
        outlet="khyber-ledger",
        number=20412,
        slug="kurram-elders-ask-both-sides-to-pull-back-as-ceasefire-holds",
        title="Kurram elders ask both sides to pull back forward posts as ceasefire holds",
        author="Nasir Bangash",
        days_ago=1,
        hours_ago=8,
        summary="A jirga of tribal elders in Kurram says the truce has brought the first quiet "
        "nights in weeks and asks both forces to move away from villages.",
        paragraphs=(
            "PARACHINAR: A jirga of tribal elders from upper Kurram has asked Pakistani and "
            "Afghan forces to move their forward posts away from border villages, saying the "
            "ceasefire had brought the first quiet nights the area had seen in weeks.",
            "Elders from Kharlachi and surrounding villages told reporters that mortar fire "
            "during the clashes had damaged houses, a girls' school and a water scheme. Several "
            "families who fled to Parachinar have started to return, they said.",
            '"Our people live on both sides of this line. When the guns speak, it is our '
            'children who are hurt," said Malik Sajjad Hussain, who led the jirga. He said '
            "the elders were ready to act as a channel between local commanders if the truce "
            "came under strain.",
            "The elders also asked the government to reopen the Kharlachi crossing for small "
            "traders, who have lost their only income since it was closed. Apples and dried "
            "fruit from Paktia used to reach the Parachinar market within hours.",
            "A district administration official said the demands would be forwarded to the "
            "provincial government. He said security forces remained on alert because the "
            "ceasefire was still new.",
        ),
        section="Khyber Pakhtunkhwa",
        subjects=("ceasefire", "border", "trade"),
    ),
    ArticleSpec(
        outlet="khyber-ledger",
        number=20409,
        slug="security-forces-foil-infiltration-bid-north-waziristan",
        title="Security forces foil infiltration bid in North Waziristan, military says",
        author="Ledger Report",
        days_ago=2,
        hours_ago=3,
        summary="The military says militants trying to cross from Afghanistan were intercepted "
        "near Ghulam Khan; Kabul has not commented.",
        paragraphs=(
            "MIRANSHAH: Security forces intercepted a group of militants trying to cross into "
            "North Waziristan from Afghanistan near the Ghulam Khan area, the military's media "
            "wing said, adding that several attackers were killed in the exchange of fire.",
            'The statement described the attackers as members of "Fitna al-Khawarij", the '
            "name the state uses for the Tehreek-e-Taliban Pakistan, and said weapons and "
            "communication equipment were recovered. Two soldiers were injured.",
            "It said Pakistan expected the Afghan Taliban government to stop its soil being used "
            "for cross-border attacks, in line with the understanding reached at the talks in "
            "Doha. There was no immediate response from Kabul.",
            "The incident is the first reported infiltration attempt since the ceasefire took "
            "effect. Analysts in Peshawar said it showed how difficult it would be for the new "
            "monitoring arrangements to separate militant movement from clashes between the "
            "two armies.",
            "Residents of Miranshah said the markets were closed for several hours as troops "
            "searched vehicles on the road to the border. The Ghulam Khan crossing itself has "
            "been shut to traffic since the fighting along the frontier.",
        ),
        section="Khyber Pakhtunkhwa",
        subjects=("security", "ceasefire", "border"),
    ),
    ArticleSpec(
        outlet="khyber-ledger",
        number=20401,
        slug="chaman-sit-in-labourers-demand-friendship-gate-reopening",
        title="Chaman sit-in grows as labourers demand reopening of Friendship Gate",
        author="Abdul Wadood Achakzai",
        days_ago=2,
        hours_ago=7,
        summary="Porters, small traders and transporters in Chaman say the closure of the "
        "border has left thousands of families without income.",
        paragraphs=(
            "CHAMAN: Hundreds more labourers and small traders joined a sit-in near the "
            "Friendship Gate, demanding that the government reopen the border crossing with "
            "Afghanistan that has been shut since the clashes at Spin Boldak.",
            "Organisers said about 20,000 porters, known locally as laghari, depended on the "
            'daily movement of goods through the crossing. "We are not smugglers. We carry '
            'sacks for a living and now we carry nothing," said one of them, Haji Lalai.',
            "Transporters said more than 400 containers of Afghan transit trade were stuck in "
            "the town, while fresh grapes and pomegranates from Kandahar were rotting on the "
            "other side of the line.",
            "The deputy commissioner met a delegation of the protesters and promised to take "
            "their demands to Quetta. He said the crossing was closed on the orders of the "
            "federal government for security reasons and would open once talks between "
            "Islamabad and Kabul produced results.",
            "Leaders of the sit-in said they would block the highway to Quetta if there was no "
            "progress within a week. Local traders have also asked for compensation for "
            "losses since the closure.",
        ),
        section="Pakistan",
        subjects=("border", "trade"),
    ),
    ArticleSpec(
        outlet="khyber-ledger",
        number=20395,
        slug="kp-assembly-resolution-urges-dialogue-with-kabul",
        title="KP Assembly passes resolution urging dialogue with Kabul to continue",
        author="Shakeel Ahmad",
        days_ago=3,
        hours_ago=2,
        summary="Lawmakers from both treasury and opposition benches call for the talks with "
        "Afghanistan to continue and for trade to be kept apart from security.",
        paragraphs=(
            "PESHAWAR: The Khyber Pakhtunkhwa Assembly unanimously passed a resolution asking "
            "the federal government to keep up negotiations with the Afghan Taliban "
            "government and to involve the province in decisions about the border.",
            "Moving the resolution, a member from Khyber district said the province bore the "
            "cost of every closure of Torkham and every militant attack. \"Peshawar's markets, "
            'our hospitals and our transporters all depend on this border," she said.',
            "Opposition members supported the text but criticised what they called the lack "
            "of consultation with tribal elders who have family and business ties across the "
            "Durand Line. One member said the elders could help verify the ceasefire on the "
            "ground.",
            "The resolution also asked for a more humane approach to the deportation of "
            "Afghan refugees, particularly women, the elderly and families of students "
            "enrolled in Pakistani schools and universities.",
            "The provincial information adviser said the government supported the talks and "
            "would share the assembly's views with Islamabad. He said the province had a "
            "direct stake in peace and in the reopening of the trade routes.",
        ),
        section="Khyber Pakhtunkhwa",
        subjects=("talks", "border", "ceasefire", "refugees", "trade"),
    ),
    ArticleSpec(
        outlet="khyber-ledger",
        number=20392,
        slug="pakistan-beat-afghanistan-tri-series-opener-sharjah",
        title="Pakistan beat Afghanistan by 38 runs in tri-series opener",
        author="Sports Desk",
        days_ago=3,
        hours_ago=9,
        summary="A fifty from the opener and three wickets for the leg-spinner set up a win in "
        "Sharjah.",
        paragraphs=(
            "SHARJAH: Pakistan opened their tri-series campaign with a 38-run win over "
            "Afghanistan in a Twenty20 match played before a full house in Sharjah, where "
            "supporters of both teams filled the stands.",
            "Put in to bat, Pakistan recovered from the early loss of two wickets through a "
            "partnership of 84 between the opener and the captain, who hit four sixes. The "
            "total of 171 for six looked about par on a slow pitch.",
            "Afghanistan's chase started briskly, with 52 runs in the powerplay, but the "
            "leg-spinner removed both set batsmen in one over and finished with three for 21. "
            "The lower order could not keep up with the required rate and the innings closed "
            "on 133.",
            '"We bowled the middle overs well, that is where the match was won," the Pakistan '
            "captain said at the presentation. Afghanistan's coach said his side had made too "
            "many mistakes in the field and would learn from them.",
            "The third team in the series plays Afghanistan in the next match. The final is "
            "scheduled for the end of next week at the same ground.",
        ),
        section="Sport",
        on_topic=False,
    ),
    ArticleSpec(
        outlet="khyber-ledger",
        number=20380,
        slug="peshawar-police-verification-drive-afghans-without-valid-cards",
        title="Peshawar police step up verification drive against Afghans without valid cards",
        author="Farhat Ullah Khalil",
        days_ago=4,
        hours_ago=3,
        summary="Police say hundreds of Afghan nationals have been moved to holding centres "
        "ahead of repatriation through Torkham.",
        paragraphs=(
            "PESHAWAR: Police in the provincial capital have stepped up a door-to-door "
            "verification campaign against Afghan nationals, moving hundreds of people without "
            "valid documents to holding centres ahead of their repatriation.",
            "Officials said teams were checking Proof of Registration and Afghan Citizen Card "
            "holders whose permission to stay has ended under the federal government's "
            "Illegal Foreigners Repatriation Plan. Those detained were being sent to Torkham "
            "in buses after their details were recorded.",
            "In the Board Bazaar area, where many Afghan families have run shops for decades, "
            'traders said business had collapsed. "Half my customers have gone, and the other '
            'half are afraid to come out," said a Pakistani cloth merchant.',
            "Human rights groups said people with pending visa applications and registered "
            "students were among those picked up. The provincial home department said anyone "
            "with valid papers would be released after verification.",
            "Pakistan says the deportations are unrelated to the tensions with Kabul and apply "
            "to all illegal foreigners. Afghan officials have asked for the refugees issue to "
            "be part of the talks between the two governments.",
        ),
        section="Khyber Pakhtunkhwa",
        subjects=("refugees", "border", "talks"),
    ),
    ArticleSpec(
        outlet="khyber-ledger",
        number=20372,
        slug="exporters-shift-central-asia-consignments-to-iranian-route",
        title="Exporters shift Central Asia consignments to Iranian route as border stays shut",
        author="Sadia Rauf",
        days_ago=5,
        hours_ago=4,
        summary="Freight forwarders say the detour through Iran adds days and costs to "
        "shipments meant for Uzbekistan and Kazakhstan.",
        paragraphs=(
            "KARACHI: Pakistani exporters have begun sending goods for Central Asia through Iran "
            "as the closure of the border with Afghanistan cut off the shortest route to "
            "Uzbekistan and Kazakhstan, freight forwarders said.",
            "Shipments of rice, pharmaceuticals and kinnow that usually cross at Torkham are "
            "being moved by sea to Bandar Abbas and then by road, a journey that forwarders "
            "said added between eight and twelve days and up to 40 percent to the cost.",
            "The Pakistan-Afghanistan Joint Chamber of Commerce said bilateral trade had "
            "already fallen sharply this year and that the latest closure threatened to push "
            "Afghan importers permanently towards Iranian and Central Asian suppliers.",
            '"Every month the border is shut, we lose customers we spent years building," '
            "said an exporter of surgical goods from Sialkot. He said his Afghan buyers had "
            "asked him to quote prices delivered to Herat through Iran.",
            "The commerce ministry said it was in touch with the transit trade stakeholders "
            "and would seek to keep trade out of the dispute, but that security remained the "
            "first priority.",
        ),
        section="Business",
        subjects=("trade", "border"),
    ),
    ArticleSpec(
        outlet="khyber-ledger",
        number=20367,
        slug="india-pakistan-dgmos-agree-to-maintain-calm-along-loc",
        title="India, Pakistan DGMOs agree to maintain calm along the LoC",
        author="Ledger Report",
        days_ago=5,
        hours_ago=8,
        summary="The military operations chiefs spoke on the hotline and reaffirmed their "
        "understanding on the Line of Control.",
        paragraphs=(
            "RAWALPINDI: The directors general of military operations of Pakistan and India "
            "spoke over the established hotline and agreed to strictly observe their "
            "ceasefire understanding along the Line of Control and the working boundary.",
            "A statement from the military's media wing said the two officers reviewed the "
            'situation along the LoC in a "frank and cordial atmosphere" and agreed to '
            "address each other's concerns through existing mechanisms.",
            "An Indian army statement issued in New Delhi used almost identical language. "
            "Neither side mentioned the incident reported earlier in the month in which "
            "villagers in the Neelum valley said shells had landed near their homes.",
            "Residents of Kotli and Poonch on both sides of the line welcomed the contact. "
            '"Whenever the two armies talk, our children can go to school without fear," '
            "said a teacher in a village close to the LoC.",
            "Diplomatic relations between the two countries remain strained, with no "
            "political dialogue since the crisis earlier this year. The hotline is one of the "
            "few channels that has continued to function.",
        ),
        section="Pakistan",
        on_topic=False,
    ),
)
