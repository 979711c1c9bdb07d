"""The data-protection models, moved from `accounts` (issue 14) without touching the database.

The tables were created by `accounts.0003_gdpr`; this migration only declares the models in the
privacy app's state, on their old tables (`accounts_*`). `0002` renames the tables and moves the
content types, so audit entries and permissions follow the models.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import entaix.common.storage


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0003_gdpr"),
        ("schools", "0002_guardianlink_left_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='DataRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('reference', models.CharField(max_length=20, unique=True, verbose_name='reference')),
                        ('kind', models.CharField(choices=[('access', 'access to the data'), ('rectification', 'rectification'), ('opposition', 'opposition'), ('erasure', 'erasure'), ('other', 'other')], max_length=15, verbose_name='request')),
                        ('status', models.CharField(choices=[('received', 'received'), ('identity-check', 'identity check'), ('in-progress', 'in progress'), ('extended', 'extended'), ('answered', 'answered'), ('rejected', 'rejected')], db_index=True, default='received', max_length=15, verbose_name='status')),
                        ('requester_name', models.CharField(max_length=200, verbose_name='your name')),
                        ('requester_email', models.EmailField(max_length=254, verbose_name='your e-mail address')),
                        ('requester_phone', models.CharField(blank=True, max_length=30, verbose_name='your phone (optional)')),
                        ('relation', models.CharField(choices=[('parent', 'parent or legal guardian of the child'), ('staff', 'staff member, about myself'), ('other', 'other (explain below)')], max_length=10, verbose_name='you are')),
                        ('child_first_name', models.CharField(blank=True, max_length=150, verbose_name="child's first name")),
                        ('child_last_name', models.CharField(blank=True, max_length=150, verbose_name="child's last name")),
                        ('child_birth_date', models.DateField(blank=True, null=True, verbose_name="child's birth date")),
                        ('message', models.TextField(blank=True, verbose_name='your request')),
                        ('attachment', models.FileField(blank=True, storage=entaix.common.storage.private_storage, upload_to='gdpr/requests/', verbose_name='attachment')),
                        ('attachment_type', models.CharField(blank=True, max_length=30, verbose_name='attachment type')),
                        ('attachment_size', models.PositiveIntegerField(blank=True, null=True, verbose_name='attachment size')),
                        ('attachment_deleted_at', models.DateTimeField(blank=True, null=True, verbose_name='attachment deleted at')),
                        ('received_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='received at')),
                        ('acknowledged_at', models.DateTimeField(blank=True, null=True, verbose_name='acknowledgement sent at')),
                        ('due_on', models.DateField(verbose_name='due on')),
                        ('identity_check_reason', models.TextField(blank=True, verbose_name='reason for the identity check')),
                        ('extended_at', models.DateTimeField(blank=True, null=True, verbose_name='extended at')),
                        ('extension_reason', models.TextField(blank=True, verbose_name='reason for the extension')),
                        ('extension_notified_at', models.DateTimeField(blank=True, null=True, verbose_name='extension notice sent at')),
                        ('flag', models.CharField(blank=True, choices=[('', 'none'), ('not-guardian', 'requester is not a legal guardian of the child')], max_length=15, verbose_name='flag')),
                        ('decision', models.CharField(blank=True, choices=[('', 'no decision yet'), ('granted', 'granted'), ('partly', 'partly granted'), ('refused', 'refused')], max_length=10, verbose_name='decision')),
                        ('legal_ground', models.CharField(blank=True, choices=[('', 'none'), ('art-6-1-e', 'Task in the public interest (GDPR art. 6(1)(e), Education Code)'), ('art-17-3-b', 'Legal obligation or public-interest task (GDPR art. 17(3)(b))'), ('art-17-3-e', 'Establishment or defence of legal claims (GDPR art. 17(3)(e))'), ('art-21-1', 'Compelling legitimate grounds (GDPR art. 21(1))'), ('art-17-1', 'Erasure due: data no longer needed or unlawfully processed (GDPR art. 17(1))'), ('art-21-granted', 'Opposition upheld (GDPR art. 21(1))'), ('source-onde', 'Data held by the Ministry (ONDE): forwarded to the school director'), ('art-12-5', 'Manifestly unfounded or excessive (GDPR art. 12(5))'), ('other', 'Other (explained in the answer)')], max_length=20, verbose_name='legal ground')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                        ('answer', models.TextField(blank=True, verbose_name='answer sent')),
                        ('closed_at', models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='closed at')),
                        ('last_reminded_on', models.DateField(blank=True, null=True, verbose_name='last reminder')),
                        ('anonymised_at', models.DateTimeField(blank=True, null=True, verbose_name='anonymised at')),
                        ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='assignee')),
                        ('school', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='schools.school', verbose_name='school')),
                        ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='submitted from the account')),
                    ],
                    options={
                        'db_table': 'accounts_datarequest',
                        'verbose_name': 'data request',
                        'verbose_name_plural': 'data requests',
                        'ordering': ['due_on', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='AccessExport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('file', models.FileField(storage=entaix.common.storage.private_storage, upload_to='gdpr/exports/', verbose_name='file')),
                        ('size', models.PositiveIntegerField(default=0, verbose_name='size')),
                        ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                        ('token_nonce', models.CharField(max_length=32, verbose_name='link nonce')),
                        ('expires_at', models.DateTimeField(verbose_name='link expires at')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='link sent at')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked at')),
                        ('first_downloaded_at', models.DateTimeField(blank=True, null=True, verbose_name='first downloaded at')),
                        ('download_count', models.PositiveIntegerField(default=0, verbose_name='downloads')),
                        ('file_deleted_at', models.DateTimeField(blank=True, null=True, verbose_name='file deleted at')),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='exports', to='privacy.datarequest')),
                    ],
                    options={
                        'db_table': 'accounts_accessexport',
                        'verbose_name': 'access export',
                        'verbose_name_plural': 'access exports',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='DataRequestNote',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('text', models.TextField(verbose_name='note')),
                        ('author', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notes', to='privacy.datarequest')),
                    ],
                    options={
                        'db_table': 'accounts_datarequestnote',
                        'verbose_name': 'internal note',
                        'verbose_name_plural': 'internal notes',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='DataRequestSubject',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('role', models.CharField(choices=[('requester', 'the requester'), ('child', 'a child of the requester')], max_length=10, verbose_name='role')),
                        ('person_kind', models.CharField(choices=[('pupil', 'pupil'), ('guardian', 'guardian'), ('staff', 'staff member')], max_length=10, verbose_name='person kind')),
                        ('confirmed_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('guardian', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='schools.guardian')),
                        ('pupil', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='schools.pupil')),
                        ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='subjects', to='privacy.datarequest')),
                        ('staff', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='schools.staff')),
                    ],
                    options={
                        'db_table': 'accounts_datarequestsubject',
                        'verbose_name': 'data request subject',
                        'verbose_name_plural': 'data request subjects',
                        'ordering': ['request', 'role', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='LegalHold',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('person_kind', models.CharField(choices=[('pupil', 'pupil'), ('guardian', 'guardian'), ('staff', 'staff member')], max_length=10, verbose_name='person kind')),
                        ('reason', models.TextField(verbose_name='reason')),
                        ('lifted_at', models.DateTimeField(blank=True, null=True, verbose_name='lifted at')),
                        ('guardian', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='schools.guardian')),
                        ('lifted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('placed_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('pupil', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='schools.pupil')),
                        ('staff', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='schools.staff')),
                    ],
                    options={
                        'db_table': 'accounts_legalhold',
                        'verbose_name': 'legal hold',
                        'verbose_name_plural': 'legal holds',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='PurgeRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('kind', models.CharField(choices=[('retention', 'retention purge'), ('termination', 'convention termination')], max_length=12, verbose_name='kind')),
                        ('status', models.CharField(choices=[('running', 'running'), ('done', 'done'), ('failed', 'failed')], default='running', max_length=10, verbose_name='status')),
                        ('trigger', models.CharField(choices=[('command', 'command line'), ('schedule', 'daily schedule')], max_length=10, verbose_name='trigger')),
                        ('as_of', models.DateField(verbose_name='computed as of')),
                        ('performed_by_label', models.CharField(blank=True, max_length=150, verbose_name='performed by')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                        ('counts', models.JSONField(blank=True, default=dict, verbose_name='counts')),
                        ('kept', models.JSONField(blank=True, default=dict, verbose_name='kept')),
                        ('failure', models.TextField(blank=True, verbose_name='failure')),
                        ('performed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_purgerun',
                        'verbose_name': 'purge run',
                        'verbose_name_plural': 'purge runs',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='PurgeReceipt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('rule', models.CharField(max_length=30, verbose_name='rule')),
                        ('persons', models.PositiveIntegerField(default=0, verbose_name='persons')),
                        ('counts', models.JSONField(blank=True, default=dict, verbose_name='counts')),
                        ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='receipts', to='privacy.purgerun')),
                    ],
                    options={
                        'db_table': 'accounts_purgereceipt',
                        'verbose_name': 'purge receipt',
                        'verbose_name_plural': 'purge receipts',
                        'ordering': ['run', 'rule'],
                    },
                ),
                migrations.CreateModel(
                    name='RectificationTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('person_kind', models.CharField(choices=[('pupil', 'pupil'), ('guardian', 'guardian'), ('staff', 'staff member')], max_length=10, verbose_name='person kind')),
                        ('field', models.CharField(max_length=50, verbose_name='field')),
                        ('current_value', models.TextField(blank=True, verbose_name='current value')),
                        ('requested_value', models.TextField(verbose_name='requested value')),
                        ('status', models.CharField(choices=[('open', 'waiting for the correction in ONDE'), ('done', 'corrected'), ('cancelled', 'cancelled')], db_index=True, default='open', max_length=10, verbose_name='status')),
                        ('direct', models.BooleanField(default=False, verbose_name='corrected directly in entaix')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                        ('closed_by_run', models.BigIntegerField(blank=True, null=True, verbose_name='closed by import run')),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('guardian', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='schools.guardian')),
                        ('pupil', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='schools.pupil')),
                        ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rectifications', to='privacy.datarequest')),
                        ('school', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='schools.school')),
                        ('staff', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='schools.staff')),
                    ],
                    options={
                        'db_table': 'accounts_rectificationtask',
                        'verbose_name': 'rectification task',
                        'verbose_name_plural': 'rectification tasks',
                        'ordering': ['status', 'created_at', 'id'],
                    },
                ),
                migrations.AddIndex(
                    model_name='datarequest',
                    index=models.Index(fields=['status', 'due_on'], name='accounts_da_status_ca74f9_idx'),
                ),
                migrations.AddConstraint(
                    model_name='legalhold',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('guardian__isnull', True), ('person_kind', 'pupil'), ('pupil__isnull', False), ('staff__isnull', True)), models.Q(('guardian__isnull', False), ('person_kind', 'guardian'), ('pupil__isnull', True), ('staff__isnull', True)), models.Q(('guardian__isnull', True), ('person_kind', 'staff'), ('pupil__isnull', True), ('staff__isnull', False)), _connector='OR'), name='legalhold_one_person'),
                ),
                migrations.AddConstraint(
                    model_name='legalhold',
                    constraint=models.UniqueConstraint(condition=models.Q(('lifted_at__isnull', True)), fields=('pupil',), name='legalhold_one_active_pupil'),
                ),
                migrations.AddConstraint(
                    model_name='legalhold',
                    constraint=models.UniqueConstraint(condition=models.Q(('lifted_at__isnull', True)), fields=('guardian',), name='legalhold_one_active_guardian'),
                ),
                migrations.AddConstraint(
                    model_name='legalhold',
                    constraint=models.UniqueConstraint(condition=models.Q(('lifted_at__isnull', True)), fields=('staff',), name='legalhold_one_active_staff'),
                ),
                migrations.AddConstraint(
                    model_name='purgereceipt',
                    constraint=models.UniqueConstraint(fields=('run', 'rule'), name='purgereceipt_unique_rule'),
                ),
                migrations.AddConstraint(
                    model_name='rectificationtask',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('guardian__isnull', True), ('person_kind', 'pupil'), ('pupil__isnull', False), ('staff__isnull', True)), models.Q(('guardian__isnull', False), ('person_kind', 'guardian'), ('pupil__isnull', True), ('staff__isnull', True)), models.Q(('guardian__isnull', True), ('person_kind', 'staff'), ('pupil__isnull', True), ('staff__isnull', False)), _connector='OR'), name='rectification_one_person'),
                ),
            ],
        ),
    ]
