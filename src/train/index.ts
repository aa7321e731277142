// Training: the loop (Trainer), checkpoints, the JSONL metrics log and progress reporting.
export { Trainer, NonFiniteLossError, type TrainerOptions, type TrainResult, type BatchSource, type BatchSize, type StopReason } from './trainer.js';
export {
  saveCheckpoint,
  loadLatestCheckpoint,
  findLatestCheckpoint,
  readCheckpointState,
  CHECKPOINT_FORMAT,
  type CheckpointState,
  type CheckpointContent,
  type LoadedCheckpoint,
  type SaveOptions,
} from './checkpoint.js';
export { MetricsLog, type MetricsRecord } from './metrics-log.js';
export { BarProgress, LineProgress, SilentProgress, defaultProgress, formatDuration, type ProgressReporter, type ProgressInfo } from './progress.js';
export { BudgetSchedule, type BudgetSchedulePlan, type PlanRevision } from './budget-schedule.js';
