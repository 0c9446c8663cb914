package ai.gateway.worker.job;

import java.util.Base64;
import java.util.BitSet;
import java.util.NavigableSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * At-least-once commit position of one partition whose records finish out of order: the lowest offset
 * still unfinished, or one past the highest fetched when all are done. A record that never finishes
 * holds the position there, so a restart or rebalance redelivers it.
 *
 * <p>The commit also carries, in its metadata, which records above the position are still unfinished; all
 * others below its end had finished. The next owner of the partition restores it ({@link #restored}) and
 * skips those records instead of redelivering the whole range behind one long job (a 20 s job holds the
 * position while thousands of later jobs finish). The metadata is kept under {@link #MAX_METADATA_CHARS}
 * (the broker's {@code offset.metadata.max.bytes} defaults to 4096): the denser of a bitmap and a list of
 * gaps; when neither fits, nothing, and the next owner falls back on {@link JobHistory} to skip finished jobs.
 * Used on the poll thread only.
 */
final class PartitionOffsets {

  static final int MAX_METADATA_CHARS = 3_000;
  private static final String BITMAP = "jb1";
  private static final String GAPS = "jg1";

  private final TreeSet<Long> unfinished = new TreeSet<>();
  private long next = -1;
  private long committed = -1;
  private String committedMetadata = "";

  // What the previous owner's commit said: from restoredStart up to restoredEnd, only these were unfinished.
  private final TreeSet<Long> restoredUnfinished = new TreeSet<>();
  private long restoredStart = -1;
  private long restoredEnd = -1;

  PartitionOffsets() {
  }

  /** The state a committed position and its metadata describe; metadata it cannot read is ignored. */
  static PartitionOffsets restored(long position, @Nullable String metadata) {
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.committed = position;
    offsets.committedMetadata = metadata == null ? "" : metadata;
    offsets.restoredStart = position;
    offsets.restoredEnd = position;
    offsets.restoredUnfinished.add(position);
    if (metadata != null && !metadata.isEmpty()) {
      try {
        decode(metadata, position, offsets);
      } catch (RuntimeException e) {
        // another format (a different consumer of this group, a later version): nothing is known to be done
        offsets.restoredEnd = position;
        offsets.restoredUnfinished.clear();
        offsets.restoredUnfinished.add(position);
      }
    }
    return offsets;
  }

  void fetched(long offset) {
    unfinished.add(offset);
    next = Math.max(next, offset + 1);
  }

  void finished(long offset) {
    unfinished.remove(offset);
  }

  /** Whether the previous owner's last commit said this record had already finished. */
  boolean finishedEarlier(long offset) {
    return offset >= restoredStart && offset < restoredEnd && !restoredUnfinished.contains(offset);
  }

  /** The offset to commit (the next record to read after a restart), or -1 if nothing is known. */
  long position() {
    NavigableSet<Long> pending = pending();
    return pending.isEmpty() ? end() : pending.first();
  }

  /** The commit's metadata: which records between the position and the end are still unfinished. */
  String metadata() {
    NavigableSet<Long> pending = pending();
    if (pending.isEmpty()) {
      return ""; // the position is the end
    }
    long position = pending.first();
    long end = end();
    if (end <= position + 1) {
      return ""; // nothing above the position
    }
    String bitmap = bitmap(pending, position, end);
    String gaps = gaps(pending, position, end);
    String shorter = bitmap.length() <= gaps.length() ? bitmap : gaps;
    return shorter.length() <= MAX_METADATA_CHARS ? shorter : "";
  }

  /** Whether the position or its metadata changed since the last {@link #markCommitted}. */
  boolean hasNewPosition() {
    long position = position();
    return position >= 0 && (position != committed || !metadata().equals(committedMetadata));
  }

  void markCommitted(long position, @Nullable String metadata) {
    committed = position;
    committedMetadata = metadata == null ? "" : metadata;
  }

  int unfinishedCount() {
    return unfinished.size();
  }

  /** Unfinished records: those fetched here, and those the previous owner left unfinished not yet fetched. */
  private NavigableSet<Long> pending() {
    if (restoredUnfinished.isEmpty() || restoredEnd <= Math.max(next, restoredStart)) {
      return unfinished;
    }
    TreeSet<Long> pending = new TreeSet<>(unfinished);
    pending.addAll(next < 0 ? restoredUnfinished : restoredUnfinished.tailSet(next, true));
    return pending;
  }

  private long end() {
    return Math.max(next, restoredEnd);
  }

  /** {@code jb1;<end - position, base 36>;<base64 of a bitmap of the unfinished offsets after the position>} */
  private static String bitmap(NavigableSet<Long> pending, long position, long end) {
    long span = end - position;
    if (span > MAX_METADATA_CHARS * 6L) {
      return "x".repeat(MAX_METADATA_CHARS + 1); // too long whatever the content
    }
    BitSet bits = new BitSet((int) span);
    for (long offset : pending.tailSet(position, false)) {
      bits.set((int) (offset - position));
    }
    return BITMAP + ";" + Long.toString(span, 36) + ";" + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(bits.toByteArray());
  }

  /** {@code jg1;<end - position>;<gap to the next unfinished offset>.<gap>...}, numbers in base 36. */
  private static String gaps(NavigableSet<Long> pending, long position, long end) {
    StringBuilder text = new StringBuilder(GAPS).append(';').append(Long.toString(end - position, 36)).append(';');
    long previous = position;
    boolean first = true;
    for (long offset : pending.tailSet(position, false)) {
      if (!first) {
        text.append('.');
      }
      text.append(Long.toString(offset - previous, 36));
      previous = offset;
      first = false;
      if (text.length() > MAX_METADATA_CHARS) {
        break; // too long already
      }
    }
    return text.toString();
  }

  private static void decode(String metadata, long position, PartitionOffsets offsets) {
    String[] parts = metadata.split(";", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("not intake metadata");
    }
    long end = position + Long.parseLong(parts[1], 36);
    if (parts[0].equals(BITMAP)) {
      BitSet bits = BitSet.valueOf(Base64.getUrlDecoder().decode(parts[2]));
      for (int bit = bits.nextSetBit(0); bit >= 0; bit = bits.nextSetBit(bit + 1)) {
        offsets.restoredUnfinished.add(position + bit);
      }
    } else if (parts[0].equals(GAPS)) {
      long offset = position;
      for (String gap : parts[2].isEmpty() ? new String[0] : parts[2].split("\\.")) {
        offset += Long.parseLong(gap, 36);
        offsets.restoredUnfinished.add(offset);
      }
    } else {
      throw new IllegalArgumentException("unknown metadata format " + parts[0]);
    }
    offsets.restoredEnd = end;
  }
}
