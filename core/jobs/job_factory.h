// Maps an experiment's method to the job that runs it.
#pragma once

#include <memory>

#include "core/config/experiment_spec.h"
#include "core/jobs/job.h"

namespace clir::jobs {

std::unique_ptr<Job> makeJob(const config::ExperimentSpec& spec);

}  // namespace clir::jobs
