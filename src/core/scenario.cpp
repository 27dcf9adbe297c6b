// Router-logit generators. Balanced and imbalanced build an explicit expert set per token and give
// those experts logits far above the rest, so that routing picks exactly the planned sets.
#include "core/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/name_table.hpp"
#include "core/random.hpp"

namespace moebench {

namespace {

constexpr float kChosenLogit = 10.0f;
constexpr float kOtherLogit = -10.0f;
constexpr double kPlanNoise = 0.1;

std::uint64_t case_substream(const ScenarioRequest& r) {
  return (static_cast<std::uint64_t>(r.scenario) << 48) ^ static_cast<std::uint64_t>(r.num_tokens);
}

// Logits that make routing choose `experts[t*k + j]`: +10 for chosen, -10 otherwise, N(0,1)*0.1 noise.
std::vector<float> logits_for_plan(const ScenarioRequest& r, const std::vector<std::int32_t>& experts) {
  const auto E = static_cast<std::size_t>(r.num_experts);
  std::vector<float> logits(static_cast<std::size_t>(r.num_tokens) * E);
  fill_normal_f32(CounterRng(r.seed, RngStream::kRouterLogits, case_substream(r)), kPlanNoise, logits);
  for (std::int64_t t = 0; t < r.num_tokens; ++t) {
    float* row = logits.data() + static_cast<std::size_t>(t) * E;
    for (std::size_t e = 0; e < E; ++e) row[e] += kOtherLogit;
    for (int j = 0; j < r.top_k; ++j)
      row[experts[static_cast<std::size_t>(t * r.top_k + j)]] += kChosenLogit - kOtherLogit;
  }
  return logits;
}

// Fills each token's k experts with the experts of largest remaining demand, within the best
// `topk_groups` groups (by remaining demand) when the router is grouped. Without groups this
// meets every demand exactly when each demand is at most T (the largest-first invariant).
std::vector<std::int32_t> plan_from_loads(std::vector<std::int64_t> remaining, std::int64_t num_tokens, int top_k,
                                          const RouterConfig& router) {
  const int E = static_cast<int>(remaining.size());
  const int groups = router.grouped() ? router.num_groups : 1;
  const int group_size = E / groups;
  const int chosen_groups = router.grouped() ? router.topk_groups : 1;
  std::vector<std::int32_t> plan(static_cast<std::size_t>(num_tokens * top_k));
  std::vector<int> group_order(static_cast<std::size_t>(groups));
  std::vector<int> candidates;
  std::vector<std::int64_t> group_demand(static_cast<std::size_t>(groups));
  for (std::int64_t t = 0; t < num_tokens; ++t) {
    for (int g = 0; g < groups; ++g) {
      group_demand[g] = std::accumulate(remaining.begin() + g * group_size, remaining.begin() + (g + 1) * group_size,
                                        std::int64_t{0});
    }
    std::iota(group_order.begin(), group_order.end(), 0);
    std::stable_sort(group_order.begin(), group_order.end(),
                     [&](int a, int b) { return group_demand[a] > group_demand[b]; });
    candidates.clear();
    for (int i = 0; i < chosen_groups; ++i) {
      for (int e = group_order[i] * group_size; e < (group_order[i] + 1) * group_size; ++e) candidates.push_back(e);
    }
    std::stable_sort(candidates.begin(), candidates.end(), [&](int a, int b) {
      return remaining[a] > remaining[b] || (remaining[a] == remaining[b] && a < b);
    });
    for (int j = 0; j < top_k; ++j) {
      const int e = candidates[static_cast<std::size_t>(j)];
      plan[static_cast<std::size_t>(t * top_k + j)] = e;
      if (remaining[e] > 0) --remaining[e];
    }
  }
  return plan;
}

// Fisher-Yates over tokens, so that the heavy experts' tokens are spread through the batch.
void shuffle_tokens(std::vector<std::int32_t>& plan, std::int64_t num_tokens, int top_k, std::uint64_t seed) {
  const CounterRng rng(seed, RngStream::kTokenShuffle, static_cast<std::uint64_t>(num_tokens));
  for (std::int64_t t = num_tokens - 1; t > 0; --t) {
    const auto other =
        static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(t), static_cast<std::uint64_t>(t + 1)));
    std::swap_ranges(plan.begin() + t * top_k, plan.begin() + (t + 1) * top_k, plan.begin() + other * top_k);
  }
}

}  // namespace

std::string_view scenario_name(Scenario scenario) { return name_in(kScenarioNames, scenario); }

std::optional<Scenario> parse_scenario(std::string_view name) { return value_in(kScenarioNames, name); }

FactorRange imbalanced_factor_range(int num_experts, int top_k, const RouterConfig& /*router*/) {
  // max_load <= T (an expert appears once per token) and avg_load = T*k/E, so max/avg <= E/k.
  return FactorRange{1.0, static_cast<double>(num_experts) / top_k};
}

std::vector<std::int64_t> imbalanced_target_loads(std::int64_t num_tokens, int num_experts, int top_k, double factor) {
  const std::int64_t pairs = num_tokens * top_k;
  const double avg = static_cast<double>(pairs) / num_experts;
  const std::int64_t at_least = (pairs + num_experts - 1) / num_experts;
  const std::int64_t heaviest = std::clamp<std::int64_t>(std::llround(factor * avg), at_least, num_tokens);
  std::vector<std::int64_t> loads(static_cast<std::size_t>(num_experts), 0);
  loads[0] = heaviest;
  if (num_experts == 1) return loads;

  // The rest decay as exp(-lambda * i / (E-1)); the steepest lambda (up to 4) that keeps the
  // second expert at or under the heaviest.
  const std::int64_t rest = pairs - heaviest;
  const int others = num_experts - 1;
  auto shares = [&](double lambda) {
    std::vector<double> w(static_cast<std::size_t>(others));
    for (int i = 0; i < others; ++i) w[i] = std::exp(-lambda * i / std::max(1, others - 1));
    const double sum = std::accumulate(w.begin(), w.end(), 0.0);
    for (double& x : w) x = x / sum * static_cast<double>(rest);
    return w;
  };
  double lo = 0.0, hi = 4.0;
  if (shares(hi)[0] > static_cast<double>(heaviest)) {
    for (int iter = 0; iter < 50; ++iter) {
      const double mid = 0.5 * (lo + hi);
      (shares(mid)[0] <= static_cast<double>(heaviest) ? lo : hi) = mid;
    }
    hi = lo;
  }
  const std::vector<double> target = shares(hi);
  // Largest-remainder rounding, then cap at the heaviest and hand the excess to the lightest.
  std::int64_t assigned = 0;
  std::vector<std::pair<double, int>> remainders;
  for (int i = 0; i < others; ++i) {
    const auto whole = static_cast<std::int64_t>(std::floor(target[i]));
    loads[i + 1] = std::min(whole, heaviest);
    assigned += loads[i + 1];
    remainders.emplace_back(target[i] - static_cast<double>(whole), i + 1);
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](auto a, auto b) { return a.first > b.first; });
  std::int64_t left = rest - assigned;
  for (std::size_t i = 0; left > 0; i = (i + 1) % remainders.size()) {
    const int e = remainders[i].second;
    if (loads[e] < heaviest) {
      ++loads[e];
      --left;
    }
  }
  return loads;
}

std::vector<float> generate_router_logits(const ScenarioRequest& r) {
  const auto E = static_cast<std::size_t>(r.num_experts);
  switch (r.scenario) {
    case Scenario::kRandom: {
      std::vector<float> logits(static_cast<std::size_t>(r.num_tokens) * E);
      fill_normal_f32(CounterRng(r.seed, RngStream::kRouterLogits, case_substream(r)), 1.0, logits);
      return logits;
    }
    case Scenario::kBalanced: {
      std::vector<std::int32_t> plan(static_cast<std::size_t>(r.num_tokens * r.top_k));
      for (std::int64_t t = 0; t < r.num_tokens; ++t)
        for (int j = 0; j < r.top_k; ++j)
          plan[static_cast<std::size_t>(t * r.top_k + j)] =
              static_cast<std::int32_t>((t * r.top_k + j) % r.num_experts);
      return logits_for_plan(r, plan);
    }
    case Scenario::kImbalanced: {
      auto loads = imbalanced_target_loads(r.num_tokens, r.num_experts, r.top_k, r.imbalance_factor);
      auto plan = plan_from_loads(std::move(loads), r.num_tokens, r.top_k, r.router);
      shuffle_tokens(plan, r.num_tokens, r.top_k, r.seed);
      return logits_for_plan(r, plan);
    }
  }
  return {};
}

}  // namespace moebench
