-- Which gateway instance reads which partition of ai.replies. An instance holds one lease at a time and
-- renews it every third of its TTL; a lease past expires_at is free. Several live rows for one partition
-- mean instances share it (all partitions were taken, or a renewal came back after its lease had expired
-- and been claimed): correct, only each of them then also reads the other's replies. Times are the
-- database's clock, so instances whose clocks disagree still agree on expiry.
create table reply_partition_leases (
  partition   int not null check (partition >= 0),
  instance_id text not null,
  expires_at  timestamptz not null,
  primary key (partition, instance_id)
);

create index reply_partition_leases_by_instance on reply_partition_leases (instance_id);
