-- Who owns a job submitted with POST /v1/generate/stream, so that GET /v1/jobs/{id}/events with Last-Event-ID
-- resumes it at any gateway instance (one that crashed held the connection; the replies are on Kafka, but
-- they carry no user id, and a job id alone is no proof: it appears in logs and usage rows). Written off the
-- stream's path, right after the job is submitted; the sweeper forgets rows older than a job's lifetime.
create table stream_jobs (
  job_id     uuid primary key,
  user_id    text not null references users (id) on delete cascade,
  created_at timestamptz not null default now()
);
create index stream_jobs_created_at on stream_jobs (created_at);
