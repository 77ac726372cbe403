import Foundation

/// What `/metrics` adds to the registry's own text: a `# HELP` line for
/// every family (swift-metrics handles carry no help text, and
/// `promtool check metrics` requires one), the standard process metrics, and
/// `portico_build_info`.
enum MetricsExposition {
    /// Every family Portico exports, with what it means.
    static let help: [String: String] = [
        "portico_backup_failures_total": "Scheduled backups that failed (copy, integrity check or rename); older backups were kept.",
        "portico_backup_last_success_timestamp_seconds": "When the newest verified scheduled backup was written (Unix time).",
        "portico_retention_deleted_total": "Rows deleted by the daily retention job, by kind (request_log_partitions counts partitions).",
        "portico_http_requests_total": "HTTP requests served, by route template (unmatched for none), method and status.",
        "portico_http_request_duration_seconds": "Time from the first middleware to the response, by route template and method.",
        "portico_rate_limit_buckets": "Rate-limit buckets held in memory.",
        "portico_rate_limit_hits_total": "Requests refused with 429, by the limit that refused them.",
        "portico_request_log_batch_size": "Request-log records per committed batch.",
        "portico_request_log_dropped_total": "Request-log records dropped because the writer's queue was full.",
        "portico_request_log_queue_depth": "Request-log records waiting for the writer.",
        "portico_request_log_write_failures_total": "Request-log batches that failed to commit (they are retried).",
        "portico_request_log_lost_total": "Request-log records neither committed nor spilled at shutdown.",
        "portico_request_log_writer_lag_seconds": "Age of the oldest record of the last committed request-log batch.",
        "portico_webhook_attempt_duration_seconds": "Webhook attempts from connect to the last byte read.",
        "portico_webhook_attempts_in_flight": "Webhook requests in flight.",
        "portico_webhook_attempts_total": "Webhook attempts, by outcome (succeeded or the error kind).",
        "portico_webhook_deliveries_owed": "Webhook deliveries owed an attempt (due now or scheduled for a retry).",
        "portico_webhook_dispatch_lag_seconds": "From a delivery falling due to its attempt starting.",
        "portico_webhook_oldest_due_age_seconds": "How overdue the most overdue webhook delivery is.",
    ]

    /// `registryText` with help lines inserted, then process and build metrics.
    static func render(_ registryText: String, startedAt: Date) -> String {
        var output = ""
        output.reserveCapacity(registryText.utf8.count + 2_048)
        for line in registryText.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst(7).split(separator: " ").first.map(String.init) ?? ""
                output += "# HELP \(name) \(help[name] ?? "Portico metric \(name).")\n"
            }
            if !line.isEmpty { output += line + "\n" }
        }
        output += ProcessMetrics.sample(startedAt: startedAt).text
        output += """
            # HELP portico_build_info The running Portico build; always 1.
            # TYPE portico_build_info gauge
            portico_build_info{version="\(BuildInfo.version)",commit="\(BuildInfo.commit)"} 1

            """
        return output
    }
}

/// The standard `process_*` metrics, read from /proc at scrape time (Linux).
struct ProcessMetrics {
    var cpuSeconds: Double?
    var residentBytes: Double?
    var openDescriptors: Int?
    var maxDescriptors: Int?
    var startTime: Double

    static func sample(startedAt: Date) -> ProcessMetrics {
        var metrics = ProcessMetrics(startTime: startedAt.timeIntervalSince1970)
        var usage = rusage()
        if getrusage(RUSAGE_SELF_VALUE, &usage) == 0 {
            metrics.cpuSeconds =
                Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
                + Double(usage.ru_stime.tv_usec) / 1e6
        }
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        {
            metrics.residentBytes = pages * Double(sysconf(Int32(_SC_PAGESIZE)))
        }
        metrics.openDescriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.count
        var limit = rlimit()
        if getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 { metrics.maxDescriptors = Int(limit.rlim_cur) }
        return metrics
    }

    var text: String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String, _ value: String?) {
            guard let value else { return }
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        family("process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.", cpuSeconds.map { "\($0)" })
        family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentBytes.map { "\(Int64($0))" })
        family("process_open_fds", "gauge", "Open file descriptors.", openDescriptors.map(String.init))
        family("process_max_fds", "gauge", "The file-descriptor limit.", maxDescriptors.map(String.init))
        family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, in seconds.", "\(startTime)")
        return text
    }
}

#if canImport(Glibc)
import Glibc
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
private let RUSAGE_SELF_VALUE = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
private let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
private let RUSAGE_SELF_VALUE = RUSAGE_SELF
#endif
