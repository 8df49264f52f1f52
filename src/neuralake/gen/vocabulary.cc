#include "neuralake/gen/vocabulary.h"

namespace neuralake::gen::vocabulary {

const std::vector<std::string_view>& FirstNames() {
  static const std::vector<std::string_view> kList = {
      "Ada", "Alan", "Amara", "Bea", "Bruno", "Chen", "Clara", "Dario", "Dina", "Elif", "Emil",
      "Farah", "Felix", "Grace", "Hugo", "Ines", "Ivan", "Jana", "Jonas", "Kai", "Keiko", "Lara",
      "Leon", "Maya", "Mateo", "Nadia", "Nils", "Omar", "Olga", "Priya", "Paolo", "Quinn", "Rosa",
      "Ravi", "Sara", "Soren", "Tara", "Tomas", "Uma", "Vera", "Wen", "Yara", "Yusuf", "Zoe"};
  return kList;
}

const std::vector<std::string_view>& LastNames() {
  static const std::vector<std::string_view> kList = {
      "Abe", "Alvarez", "Bauer", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia",
      "Haddad", "Hansen", "Ito", "Jensen", "Kowalski", "Kumar", "Larsen", "Lopez", "Martin",
      "Meyer", "Moreau", "Nakamura", "Novak", "Okafor", "Olsen", "Park", "Petrov", "Quispe",
      "Rossi", "Santos", "Schmidt", "Silva", "Tanaka", "Torres", "Ueda", "Varga", "Weber",
      "Wong", "Yilmaz", "Zhang", "Zimmer"};
  return kList;
}

const std::vector<std::string_view>& Streets() {
  static const std::vector<std::string_view> kList = {
      "Oak", "Maple", "Cedar", "Harbor", "Mill", "River", "Station", "Church", "Market", "Park",
      "Lake", "Hill", "Forest", "Bridge", "King", "Queen", "Garden", "Meadow", "Spring", "Elm"};
  return kList;
}

const std::vector<std::string_view>& StreetSuffixes() {
  static const std::vector<std::string_view> kList = {"Street", "Avenue", "Road", "Lane", "Way",
                                                      "Boulevard", "Court", "Place"};
  return kList;
}

const std::vector<std::string_view>& Cities() {
  static const std::vector<std::string_view> kList = {
      "Amsterdam", "Athens", "Bangalore", "Berlin", "Bogota", "Boston", "Cairo", "Chicago",
      "Dublin", "Istanbul", "Jakarta", "Johannesburg", "Kyoto", "Lagos", "Lima", "Lisbon",
      "London", "Madrid", "Melbourne", "Mexico City", "Montreal", "Mumbai", "Nairobi", "Oslo",
      "Paris", "Prague", "Santiago", "Seoul", "Singapore", "Stockholm", "Sydney", "Tokyo",
      "Toronto", "Vienna", "Warsaw", "Zurich"};
  return kList;
}

const std::vector<std::string_view>& Countries() {
  static const std::vector<std::string_view> kList = {
      "US", "DE", "FR", "GB", "JP", "IN", "BR", "CA", "AU", "ES", "IT", "NL", "SE", "NO", "PL",
      "KR", "MX", "NG", "KE", "ZA", "EG", "TR", "AR", "CL", "CO", "PE", "SG", "ID", "CH", "AT"};
  return kList;
}

const std::vector<std::string_view>& CompanySuffixes() {
  static const std::vector<std::string_view> kList = {"Inc", "LLC", "Group", "Labs", "Systems",
                                                      "Partners", "Works", "Holdings", "AG",
                                                      "GmbH", "Ltd"};
  return kList;
}

const std::vector<std::string_view>& EmailDomains() {
  static const std::vector<std::string_view> kList = {"example.com", "example.org", "mail.test",
                                                      "inbox.test", "corp.example",
                                                      "neuro.example"};
  return kList;
}

const std::vector<std::string_view>& WebWords() {
  static const std::vector<std::string_view> kList = {
      "home", "products", "cart", "checkout", "search", "blog", "about", "help", "account",
      "orders", "deals", "new", "docs", "pricing", "careers", "news", "support", "settings"};
  return kList;
}

const std::vector<std::string_view>& Lorem() {
  static const std::vector<std::string_view> kList = {
      "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed",
      "do", "eiusmod", "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna",
      "aliqua", "enim", "ad", "minim", "veniam", "quis", "nostrud", "exercitation", "ullamco",
      "laboris", "nisi", "aliquip", "ex", "ea", "commodo", "consequat"};
  return kList;
}

const std::vector<std::string_view>& UserAgentTemplates() {
  // {v} is replaced by a version number.
  static const std::vector<std::string_view> kList = {
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0 "
      "Safari/537.36",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Version/{v}.1 Safari/605.1.15",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
      "like Gecko) Mobile/15E148 Version/{v}.0",
      "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0 "
      "Mobile Safari/537.36",
      "neuralake-probe/{v}.0 (+https://example.org/bot)"};
  return kList;
}

}  // namespace neuralake::gen::vocabulary
