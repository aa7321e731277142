// The default sentences of the context probe: eight polysemous words, two senses each, six sentences per sense,
// tokenized as WikiText is (punctuation and possessive 's split off). Each line: word, sense, sentence.
export const DEFAULT_PROBE_TSV = `bank	river	The boat drifted slowly towards the bank of the river .
bank	river	The army crossed the river and camped on the north bank .
bank	river	The road runs along the east bank of the stream to the village .
bank	river	After the flood , the water rose above the bank and covered the fields .
bank	river	Willows and reeds grow thickly on the muddy bank near the bridge .
bank	river	The troops dug in along the south bank while the enemy held the far shore .
bank	money	He deposited all of his savings in the bank .
bank	money	The bank lent money to the company at a high rate of interest .
bank	money	She worked as a director of the bank in New York for ten years .
bank	money	The central bank raised interest rates to control inflation .
bank	money	Customers lost their deposits when the bank failed during the crisis .
bank	money	He opened an account at the bank and borrowed money to buy a house .
play	theatre	The play opened on Broadway in 1925 and ran for two hundred performances .
play	theatre	Shakespeare wrote the play for the company of actors at the Globe .
play	theatre	The actress was cast in the lead role of the play .
play	theatre	Critics praised the play for its dialogue and its staging .
play	theatre	The play was later adapted into a film starring the same actors .
play	theatre	The theatre staged a revival of the play with a new cast .
play	sport	The team began to play better after the coach changed its tactics .
play	sport	He was injured early in the season and could not play for three months .
play	sport	The referee stopped play after the goalkeeper was hurt .
play	sport	The two clubs will play each other in the final of the cup .
play	sport	Rain stopped play for an hour during the second day of the match .
play	sport	He made a spectacular play to catch the ball near the fence .
plant	factory	The company built a new steel plant near the city in 1950 .
plant	factory	Workers at the power plant went on strike over wages .
plant	factory	The car plant employed over three thousand workers .
plant	factory	The chemical plant was closed after a leak of toxic gas .
plant	factory	Coal is burned at the plant to generate electricity for the region .
plant	factory	The plant produced engines for aircraft during the war .
plant	vegetation	The plant grows to a height of two metres and has yellow flowers .
plant	vegetation	This species of plant is found in the forests of South America .
plant	vegetation	The leaves of the plant are eaten by the larvae of the moth .
plant	vegetation	The plant needs plenty of water and sunlight to flower .
plant	vegetation	Seeds of the plant are spread by birds that eat its fruit .
plant	vegetation	The flowering plant is native to the mountains of China .
record	music	The band released their first record on a small label in 1994 .
record	music	The record reached number one on the charts in the United Kingdom .
record	music	She signed a contract with a record company in Los Angeles .
record	music	The record was produced by the singer and her guitarist .
record	music	Critics called it the best record of the year and it sold a million copies .
record	music	The group toured for a year to promote the record .
record	best	He set a new world record in the marathon .
record	best	The team finished the season with a record of ten wins and two losses .
record	best	Her time broke the Olympic record by two seconds .
record	best	The storm brought record rainfall to the coast .
record	best	The crowd of sixty thousand was a record for the stadium .
record	best	He holds the record for the most goals scored in a single season .
court	law	The case was heard in the court of appeal in 1954 .
court	law	The judge ordered him to appear in court the next day .
court	law	The court ruled that the law was unconstitutional .
court	law	He was found guilty by the court and sentenced to prison .
court	law	Her lawyers appealed the decision to a higher court .
court	law	The court dismissed the charges against the two men .
court	royal	The king held court at the palace during the winter .
court	royal	He served as a poet at the court of Queen Elizabeth .
court	royal	The young prince was raised at the royal court in Paris .
court	royal	Musicians and painters were welcomed at the court of the emperor .
court	royal	She became a lady in waiting at the court of the queen .
court	royal	Rivals at court plotted against the king 's chief minister .
division	army	The division landed on the beach on the first day of the invasion .
division	army	The infantry division lost half of its men in the battle .
division	army	He was promoted to general and given command of a division .
division	army	The armoured division advanced towards the town with two brigades .
division	army	The division was withdrawn from the front to rest and refit .
division	army	Troops of the division captured the bridge after heavy fighting .
division	league	The club was promoted to the top division in 1963 .
division	league	They finished third in the division and qualified for the playoffs .
division	league	The team was relegated to the lower division after a poor season .
division	league	He scored twenty goals in the second division that year .
division	league	The club won the division title for the first time in its history .
division	league	The league added a new division for teams from the north .
state	nation	The state declared its independence from the empire in 1918 .
state	nation	The new state was recognised by the United Nations .
state	nation	The head of state is the president , who is elected every five years .
state	nation	The war ended with the creation of a Jewish state .
state	nation	He argued that the church should be separate from the state .
state	nation	The state controls the oil industry and the railways .
state	condition	The house was left in a poor state after the fire .
state	condition	He was found in a state of shock after the accident .
state	condition	The church fell into a state of disrepair during the war .
state	condition	The ship returned to port in a damaged state .
state	condition	She was in a confused state and did not recognise her family .
state	condition	The manuscript survives in a fragmentary state .
season	sport	He scored twelve goals in his first season with the club .
season	sport	The team won the championship at the end of the season .
season	sport	The season began in August with a home game against their rivals .
season	sport	He retired from football after the 1998 season .
season	sport	The coach was fired midway through the season after eight defeats .
season	sport	It was the club 's most successful season in the league .
season	weather	The rainy season lasts from June to September .
season	weather	Most of the rain falls during the wet season .
season	weather	The birds breed in the dry season when food is plentiful .
season	weather	Storms are common during the monsoon season .
season	weather	The plants flower in the spring season and lose their leaves in winter .
season	weather	Farmers plant their crops at the start of the rainy season .
`;
