/** The configuration keys of telemetry as the pieces take them. */
import type { Config } from '../config/index.js';
import type { RetentionSettings } from './tables.js';

export function retentionSettings(config: Config): RetentionSettings {
  return {
    minuteDays: config.telemetryMinuteRetentionDays,
    hourDays: config.telemetryHourlyRetentionDays,
    dayDays: config.telemetryDailyRetentionDays,
    securityDays: config.securityEventRetentionDays,
    auditDays: config.auditRetentionDays,
    batchHours: config.telemetryBatchRetentionHours,
  };
}
