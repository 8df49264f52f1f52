// Word lists for Faker-like fields: our own short lists (no network, nothing copied).
#pragma once

#include <string_view>
#include <vector>

namespace neuralake::gen::vocabulary {

const std::vector<std::string_view>& FirstNames();
const std::vector<std::string_view>& LastNames();
const std::vector<std::string_view>& Streets();
const std::vector<std::string_view>& StreetSuffixes();
const std::vector<std::string_view>& Cities();
const std::vector<std::string_view>& Countries();
const std::vector<std::string_view>& CompanySuffixes();
const std::vector<std::string_view>& EmailDomains();
const std::vector<std::string_view>& WebWords();
const std::vector<std::string_view>& Lorem();
const std::vector<std::string_view>& UserAgentTemplates();

}  // namespace neuralake::gen::vocabulary
