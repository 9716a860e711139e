/* The load generator's table rows and per-run JSON. */
#include <stdio.h>

#include "report.h"

void lg_report_head(int video)
{
    printf("%5s %5s %4s | %7s %7s %5s %6s | %6s %6s %7s | %6s %6s %4s | %7s %8s %6s | %6s "
           "%6s | ",
           "meet", "size", "talk", "pps min", "mean", "<49", "lost", "gap50", "gap99", "gapmax",
           "lat50", "lat99", "n", "srv cpu", "%/part", "overr", "gencpu", "late");
    if (video)
        printf("%6s %6s %6s %5s %5s %6s | ", "fpsmin", "fps", "fgap99", "incmp", "keys", "kbit/s");
    printf("verdict\n");
}

void lg_report_row(const struct lg_run_result *r, int video)
{
    char cpu[16] = "-", per[16] = "-", ov[16] = "-";
    if (r->server_cpu_pct >= 0) {
        snprintf(cpu, sizeof(cpu), "%.1f%%", r->server_cpu_pct);
        if (r->participants)
            snprintf(per, sizeof(per), "%.3f", r->server_cpu_pct / r->participants);
    }
    if (r->overruns >= 0)
        snprintf(ov, sizeof(ov), "%.0f", r->overruns);
    printf("%5u %5u %4u | %7.1f %7.2f %5u %6llu | %6.1f %6.1f %7.1f | %6.1f %6.1f %4llu | %7s "
           "%8s %6s | %5.1f%% %6.1f | ",
           r->meetings, r->size, r->talkers, r->pps_min, r->pps_mean, r->below_49,
           (unsigned long long)r->lost, r->ia_p50, r->ia_p99, r->ia_max, r->lat_p50, r->lat_p99,
           (unsigned long long)r->lat_n, cpu, per, ov, r->gen_cpu_pct, r->send_late_max_ms);
    /* Per receiver: the slowest one's complete frames a second, the mean, the p99 gap between
     * complete frames, incomplete frames and keyframes (all receivers), mean payload kbit/s. */
    if (video)
        printf("%6.1f %6.2f %6.1f %5llu %5llu %6.0f | ", r->vfps_min, r->vfps_mean, r->vgap_p99,
               (unsigned long long)r->vincomplete, (unsigned long long)r->vkeys, r->vkbps_mean);
    printf("%s%s\n", r->pass ? "pass" : "FAIL: ", r->why);
    fflush(stdout);
}

static json_t *video_json(const struct lg_run_result *r)
{
    json_t *v = json_pack(
        "{s:i, s:i, s:f, s:f, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:f}",
        "senders", (int)r->vsenders, "receivers", (int)r->participants, "fps_min", r->vfps_min,
        "fps_mean", r->vfps_mean, "below_25", (int)r->vbelow_25, "got_nothing",
        (int)r->vgot_nothing, "frames", (json_int_t)r->vframes, "incomplete_frames",
        (json_int_t)r->vincomplete, "keyframes", (json_int_t)r->vkeys, "rx_packets",
        (json_int_t)r->vpackets, "lost", (json_int_t)r->vlost, "auth_fail",
        (json_int_t)r->vauth_fail, "rtcp", (json_int_t)r->vrtcp, "kbps_min", r->vkbps_min,
        "kbps_mean", r->vkbps_mean, "frames_sent", (json_int_t)r->vframes_sent, "send_late_max_ms",
        r->vsend_late_max_ms);
    json_object_set_new(
        v, "frame_gap_ms",
        json_pack("{s:f, s:f, s:f}", "p50", r->vgap_p50, "p99", r->vgap_p99, "max", r->vgap_max));
    return v;
}

json_t *lg_report_json(const struct lg_run_result *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "meetings", json_integer(r->meetings));
    json_object_set_new(j, "size", json_integer(r->size));
    json_object_set_new(j, "talkers", json_integer(r->talkers));
    json_object_set_new(j, "participants", json_integer(r->participants));
    json_object_set_new(j, "window_s", json_real(r->window_s));
    json_object_set_new(j, "srtp", json_boolean(r->srtp));
    json_object_set_new(j, "delivery",
                        json_pack("{s:f, s:f, s:f, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I}",
                                  "pps_min", r->pps_min, "pps_mean", r->pps_mean, "pps_max",
                                  r->pps_max, "below_49", (int)r->below_49, "got_nothing",
                                  (int)r->got_nothing, "rx_packets", (json_int_t)r->rx_packets,
                                  "lost", (json_int_t)r->lost, "reordered",
                                  (json_int_t)r->reordered, "dup", (json_int_t)r->dup, "auth_fail",
                                  (json_int_t)r->auth_fail, "rtcp", (json_int_t)r->rtcp));
    json_object_set_new(
        j, "interarrival_ms",
        json_pack("{s:f, s:f, s:f}", "p50", r->ia_p50, "p99", r->ia_p99, "max", r->ia_max));
    json_object_set_new(j, "latency_ms",
                        json_pack("{s:f, s:f, s:f, s:I, s:I}", "p50", r->lat_p50, "p99", r->lat_p99,
                                  "max", r->lat_max, "samples", (json_int_t)r->lat_n,
                                  "markers_sent", (json_int_t)r->markers_sent));
    if (r->video)
        json_object_set_new(j, "video", video_json(r));
    json_object_set_new(j, "server_cpu_pct",
                        r->server_cpu_pct >= 0 ? json_real(r->server_cpu_pct) : json_null());
    json_object_set_new(j, "server_cpu_pct_per_participant",
                        r->server_cpu_pct >= 0 && r->participants
                            ? json_real(r->server_cpu_pct / r->participants)
                            : json_null());
    json_object_set_new(j, "server_cpu_pct_per_meeting",
                        r->server_cpu_pct >= 0 && r->meetings
                            ? json_real(r->server_cpu_pct / r->meetings)
                            : json_null());
    json_object_set_new(j, "worker_cpu_pct",
                        r->worker_cpu_pct >= 0 ? json_real(r->worker_cpu_pct) : json_null());
    json_object_set_new(j, "tick_overruns",
                        r->overruns >= 0 ? json_real(r->overruns) : json_null());
    json_object_set_new(j, "generator_cpu_pct", json_real(r->gen_cpu_pct));
    json_object_set_new(j, "send_late_max_ms", json_real(r->send_late_max_ms));
    json_object_set_new(j, "send_late_10ms_pct", json_real(r->send_late_pct));
    json_object_set_new(j, "generator_limited", json_boolean(r->gen_limited));
    json_object_set_new(j, "pass", json_boolean(r->pass));
    json_object_set_new(j, "why", json_string(r->why));
    return j;
}
