// The text of the TPC-H specification, shared by the tpch*.cc files of this folder (not a public
// header): the word lists of clauses 4.2.2.13 and 4.2.3, the RowRandom streams of each kind of
// row, the comment text pool built from the sentence grammar of clause 4.2.2.10, and the
// formatted strings (random v-strings, phone numbers, "Supplier#000000042").
//
// Everything here is a pure function of its arguments; the word lists are constants.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "neuralake/gen/random.h"

namespace neuralake::gen::tpch {

// ---------------------------------------------------------------------------------------------
// Word lists of the specification (clause 4.2.2.13 and 4.2.3).

inline constexpr std::array<std::string_view, 5> kRegionNames = {
    "AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"};

struct NationRow {
  std::string_view name;
  int region;
};
inline constexpr std::array<NationRow, 25> kNations = {{
    {"ALGERIA", 0},      {"ARGENTINA", 1}, {"BRAZIL", 1},         {"CANADA", 1},
    {"EGYPT", 4},        {"ETHIOPIA", 0},  {"FRANCE", 3},         {"GERMANY", 3},
    {"INDIA", 2},        {"INDONESIA", 2}, {"IRAN", 4},           {"IRAQ", 4},
    {"JAPAN", 2},        {"JORDAN", 4},    {"KENYA", 0},          {"MOROCCO", 0},
    {"MOZAMBIQUE", 0},   {"PERU", 1},      {"CHINA", 2},          {"ROMANIA", 3},
    {"SAUDI ARABIA", 4}, {"VIETNAM", 2},   {"RUSSIA", 3},         {"UNITED KINGDOM", 3},
    {"UNITED STATES", 1},
}};

inline constexpr std::array<std::string_view, 92> kColors = {
    "almond",    "antique",   "aquamarine", "azure",     "beige",     "bisque",    "black",
    "blanched",  "blue",      "blush",      "brown",     "burlywood", "burnished", "chartreuse",
    "chiffon",   "chocolate", "coral",      "cornflower", "cornsilk", "cream",     "cyan",
    "dark",      "deep",      "dim",        "dodger",    "drab",      "firebrick", "floral",
    "forest",    "frosted",   "gainsboro",  "ghost",     "goldenrod", "green",     "grey",
    "honeydew",  "hot",       "indian",     "ivory",     "khaki",     "lace",      "lavender",
    "lawn",      "lemon",     "light",      "lime",      "linen",     "magenta",   "maroon",
    "medium",    "metallic",  "midnight",   "mint",      "misty",     "moccasin",  "navajo",
    "navy",      "olive",     "orange",     "orchid",    "pale",      "papaya",    "peach",
    "peru",      "pink",      "plum",       "powder",    "puff",      "purple",    "red",
    "rose",      "rosy",      "royal",      "saddle",    "salmon",    "sandy",     "seashell",
    "sienna",    "sky",       "slate",      "smoke",     "snow",      "spring",    "steel",
    "tan",       "thistle",   "tomato",     "turquoise", "violet",    "wheat",     "white",
    "yellow"};

inline constexpr std::array<std::string_view, 6> kTypeSize = {"STANDARD", "SMALL",   "MEDIUM",
                                                              "LARGE",    "ECONOMY", "PROMO"};
inline constexpr std::array<std::string_view, 5> kTypeFinish = {"ANODIZED", "BURNISHED", "PLATED",
                                                                "POLISHED", "BRUSHED"};
inline constexpr std::array<std::string_view, 5> kTypeMaterial = {"TIN", "NICKEL", "BRASS",
                                                                  "STEEL", "COPPER"};
inline constexpr std::array<std::string_view, 5> kContainerSize = {"SM", "LG", "MED", "JUMBO",
                                                                   "WRAP"};
inline constexpr std::array<std::string_view, 8> kContainerKind = {"CASE", "BOX", "BAG",  "JAR",
                                                                   "PKG",  "PACK", "CAN", "DRUM"};
inline constexpr std::array<std::string_view, 5> kSegments = {"AUTOMOBILE", "BUILDING", "FURNITURE",
                                                              "MACHINERY", "HOUSEHOLD"};
inline constexpr std::array<std::string_view, 5> kPriorities = {"1-URGENT", "2-HIGH", "3-MEDIUM",
                                                                "4-NOT SPECIFIED", "5-LOW"};
inline constexpr std::array<std::string_view, 4> kInstructions = {
    "DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"};
inline constexpr std::array<std::string_view, 7> kShipModes = {"REG AIR", "AIR",  "RAIL", "SHIP",
                                                               "TRUCK",   "MAIL", "FOB"};

// Streams of RowRandom: one per kind of row, so that no two tables share random numbers.
enum Stream : uint64_t {
  kTextPoolStream = 0x7470636800,
  kRegionStream,
  kNationStream,
  kSupplierStream,
  kComplaintStream,
  kPartStream,
  kCustomerStream,
  kOrderStream,
};

// The pool comments are cut from (TpchGenerator::Text): 1 MiB of sentences of the grammar.
std::shared_ptr<const std::string> BuildTextPool(uint64_t seed);

// A random alphanumeric string (clause 4.2.2.7) of length in [min_length, max_length].
void VString(RowRandom& random, int min_length, int max_length, std::string* out);

// A phone number (clause 4.2.2.9): country code nationkey + 10, then 3-3-4 random digits.
void SetPhone(RowRandom& random, int64_t nationkey, std::string* out);

// "Supplier#000000042": the prefix and the number in (at least) 9 digits.
void SetNumbered(std::string_view prefix, int64_t number, std::string* out);

}  // namespace neuralake::gen::tpch
